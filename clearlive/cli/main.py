"""The `clearlive` command. Each command builds the library objects and calls the library."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from clearlive.cli import rules_cmd, train_cmd
from clearlive.cli.adapt_cmd import adapt_command
from clearlive.cli.demo_cmd import demo_command
from clearlive.cli.lint_cmd import lint_command
from clearlive.cli.report_cmd import report_command
from clearlive.cli.scan_cmd import scan_command
from clearlive.cli.score_cmd import score_command
from clearlive.cli.service_cmd import audit_app, dead_letters_app, keys_app, serve_command, worker_command
from clearlive.cli.simulate_cmd import rank_command, simulate_command
from clearlive.cli.spark_cmd import spark_stream_command
from clearlive.cli.transcribe_cmd import transcribe_command
from clearlive.errors import ClearLiveError

app = typer.Typer(
    name="clearlive",
    help="ClearLive: find false and vulgar content and consumer deception in live-stream commerce, with evidence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("scan")(scan_command)
app.command("transcribe")(transcribe_command)
app.command("score")(score_command)
app.command("rank")(rank_command)
app.command("simulate")(simulate_command)
app.command("serve")(serve_command)
app.command("worker")(worker_command)
app.command("spark-stream")(spark_stream_command)
app.add_typer(keys_app, name="keys")
app.add_typer(dead_letters_app, name="dead-letters")
app.add_typer(audit_app, name="audit")
app.command("lint")(lint_command)
app.command("adapt")(adapt_command)
app.command("report")(report_command)
app.command("demo")(demo_command)
app.add_typer(rules_cmd.app, name="rules")
app.add_typer(train_cmd.app, name="train")
app.command("eval")(train_cmd.eval_command)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ran, 1 --fail-on hit or failed check, 2 bad input).

    Typer reports usage errors itself (exit 2); library errors are translated here.
    """
    try:
        app(args=argv if argv is not None else sys.argv[1:], prog_name="clearlive")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except ClearLiveError as exc:
        # escaped: messages name extras (clearlive[serve]) and paths that rich would read as markup
        Console(stderr=True, soft_wrap=True).print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
