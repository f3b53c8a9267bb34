"""`clearlive lint SCRIPT`: findings shown inline in a host's script, with compliant wording."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from clearlive.cli.asr_options import AsrModelOpt, AsrSha256Opt, asr_settings
from clearlive.cli.output import write_json, write_jsonl
from clearlive.model.findings import SEVERITIES, SEVERITY_RANK

if TYPE_CHECKING:
    from clearlive.watch.scan.lint import LintResult

COLOURS = {"info": "dim", "low": "blue", "medium": "yellow", "high": "red", "critical": "bold magenta"}


def print_inline(result: LintResult, console: Console) -> None:
    for f in result.findings:
        line = result.lines[f.event_ids[0]]
        col = result.column(f)
        a, b = col - 1, col - 1 + len(f.evidence.text)
        sev = f.severity
        # A recording's sentence is located by its time span, a script's line by line and column.
        where = f"@{_clock(line.span[0])}-{_clock(line.span[1])}" if line.span else f":{line.number}:{col}"
        console.print(
            f"{escape(result.path)}{where}: [{COLOURS[sev]}]{sev}[/] {f.rule_id} ({f.category})",
            highlight=False,
        )
        console.print(
            f"    {escape(line.line[:a])}[reverse]{escape(line.line[a:b])}[/]{escape(line.line[b:])}", highlight=False
        )
        console.print(f"    {escape(f.message)}", highlight=False)
        if f.suggestion:
            console.print(f"    [green]→ {escape(f.suggestion)}[/]", highlight=False)
        basis = "; ".join(lb.citation for lb in f.legal_basis)
        console.print(f"    [dim]{escape(basis)}[/]", highlight=False)
    counts = {s: sum(1 for f in result.findings if f.severity == s) for s in SEVERITIES}
    summary = ", ".join(f"{n} {s}" for s, n in reversed(counts.items()) if n) or "nothing to fix"
    console.print(f"{len(result.findings)} finding(s) in {len(result.lines)} line(s): {summary}")


def _clock(seconds: float) -> str:
    m, s = divmod(seconds, 60)
    return f"{int(m)}:{s:04.1f}"


def lint_command(
    script: Annotated[
        Path,
        typer.Argument(
            help="The host's script: plain text or Markdown, one utterance per line; or a rehearsal recording "
            "(audio or video, needs the audio extra)."
        ),
    ],
    format: Annotated[str, typer.Option("--format", "-f", help="text (inline), jsonl or json.")] = "text",
    rules: Annotated[list[Path] | None, typer.Option("--rules", help="Extra rule pack; repeatable.")] = None,
    fail_on: Annotated[
        str | None, typer.Option("--fail-on", help="Exit 1 if a finding at or above this severity exists.")
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="The script's language when it cannot be told (zh, en).")
    ] = None,
    asr_model: AsrModelOpt = None,
    asr_sha256: AsrSha256Opt = None,
) -> None:
    """Check a prepared script before the stream: the same findings as scan, shown in place."""
    if format not in ("text", "jsonl", "json"):
        raise typer.BadParameter("use text, jsonl or json", param_hint="--format")
    if fail_on is not None and fail_on not in SEVERITIES:
        raise typer.BadParameter(f"use one of {', '.join(SEVERITIES)}", param_hint="--fail-on")
    from clearlive.watch.scan.lint import lint_script
    from clearlive.watch.scan.scanner import ScanConfig

    asr = asr_settings(asr_model, asr_sha256, 0.0, False)
    result = lint_script(str(script), ScanConfig(rules=tuple(rules or ())), lang=lang, asr=asr)
    if format == "text":
        print_inline(result, Console(soft_wrap=True))
    elif format == "jsonl":
        write_jsonl(result.findings, sys.stdout.buffer)
    else:
        write_json(result.findings, sys.stdout.buffer)
    if fail_on is not None and any(SEVERITY_RANK[f.severity] >= SEVERITY_RANK[fail_on] for f in result.findings):
        raise typer.Exit(1)
