"""`clearlive score`: service scores for shops and hosts (CONTRACT section 4)."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import msgspec
import typer
from rich.console import Console
from rich.table import Table

from clearlive.cli.output import read_records
from clearlive.cli.scan_cmd import default_rejects_path, with_progress
from clearlive.errors import ClearLiveError
from clearlive.model.events import parse_ts
from clearlive.model.findings import Finding

if TYPE_CHECKING:
    from clearlive.measure import EntityScore

err = Console(stderr=True, soft_wrap=True)
FORMATS = ("jsonl", "json", "table")


class Decision(msgspec.Struct):
    finding_id: str
    decision: Literal["confirmed", "dismissed"]


def read_decisions(path: Path) -> dict[str, str]:
    return {d.finding_id: d.decision for d in read_records(path, Decision)}


def scores_table(scores: list[EntityScore]) -> Table:
    table = Table(header_style="bold")
    dims: list[str] = []
    for s in scores:
        dims.extend(d for d in s.dimensions if d not in dims)
    for col in ("type", "id", "category", "score", "90% interval", "orders", *dims, "credit"):
        table.add_column(col, overflow="fold")
    for s in scores:
        cells = [
            f"{d.score:.0f}" if (d := s.dimensions.get(name)) is not None and d.score is not None else "-"
            for name in dims
        ]
        table.add_row(
            s.entity_type,
            s.entity_id,
            s.category or "",
            "no score" if s.score is None else f"{s.score:.1f}",
            "" if s.interval is None else f"{s.interval[0]:.0f}-{s.interval[1]:.0f}",
            str(s.n_orders),
            *cells,
            "" if s.credit is None else str(s.credit["balance"]),
        )
    return table


def backtest_table(result: dict) -> Table:
    table = Table(
        "outcome (next window)",
        "predictor",
        "n",
        "spearman",
        "90% interval",
        "bottom-decile precision",
        header_style="bold",
        title=f"{result['shops_compared']} shops with at least {result['min_next_orders']} orders in the next window",
    )
    for outcome, row in result["outcomes"].items():
        for name, r in row.items():
            iv = r["spearman_interval"]
            table.add_row(
                outcome,
                name,
                str(r["n"]),
                "-" if r["spearman"] is None else f"{r['spearman']:.2f}",
                "-" if iv is None else f"{iv[0]:.2f} to {iv[1]:.2f}",
                f"{r['bottom_decile_precision']:.2f}",
            )
    return table


def score_command(
    paths: Annotated[
        list[str], typer.Argument(help="Events (.jsonl[.gz]) or tables (.csv, .parquet: orders, refunds, ...).")
    ],
    format: Annotated[str, typer.Option("--format", "-f", help="jsonl, json or table.")] = "jsonl",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write scores here instead of stdout.")] = None,
    window: Annotated[
        int | None, typer.Option("--window", help="Days in the window: 7 to 365 (default: the config's).")
    ] = None,
    backtest_mode: Annotated[
        bool,
        typer.Option(
            "--backtest",
            help="Score the window ending at --as-of (default: one window before the data's end) and report how "
            "well scores, dimensions, GMV and the mean rating predict the next window's outcomes.",
        ),
    ] = False,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="RFC 3339 end of the window (default: end of the newest order's day).")
    ] = None,
    config_path: Annotated[
        Path | None, typer.Option("--config", help="A scoring config (default: clearlive/measure/score.yaml).")
    ] = None,
    findings_path: Annotated[
        list[Path] | None, typer.Option("--findings", help="Findings JSONL from `clearlive scan`; repeatable.")
    ] = None,
    scan: Annotated[
        bool, typer.Option("--scan/--no-scan", help="Scan the inputs' speech and chat for findings too.")
    ] = True,
    decisions_path: Annotated[
        Path | None,
        typer.Option("--decisions", help="Reviewers' verdicts for the credit ledger: JSONL {finding_id, decision}."),
    ] = None,
    engine_name: Annotated[str, typer.Option("--engine", help="duckdb (default) or spark.")] = "duckdb",
    db: Annotated[Path | None, typer.Option("--db", help="Also store the scores in this DuckDB file.")] = None,
    parquet: Annotated[
        Path | None, typer.Option("--parquet", help="Also write the scores as this Parquet file.")
    ] = None,
    rejects: Annotated[
        Path | None, typer.Option("--rejects", help="Where rejected records go (default: beside --out/--db).")
    ] = None,
    table_type: Annotated[
        str | None, typer.Option("--type", help="Tables: the event type of every row (default: from the file name).")
    ] = None,
) -> None:
    """Score shops and hosts on product, logistics, service, content honesty and retention, with intervals."""
    from clearlive.measure import CommerceTables, ScoreConfig, score_tables
    from clearlive.measure.backtest import backtest
    from clearlive.measure.engines import engine_named
    from clearlive.measure.export import write_parquet
    from clearlive.watch.scan.scanner import ScanConfig, Scanner
    from clearlive.watch.scan_db import Store
    from clearlive.watch.sources import InputOptions, ReadStats, RejectSink, read_inputs

    if format not in FORMATS:
        raise typer.BadParameter(f"use one of {', '.join(FORMATS)}", param_hint="--format")
    try:
        as_of_ms = parse_ts(as_of) if as_of else None
    except (ValueError, TypeError) as exc:
        raise typer.BadParameter(str(exc), param_hint="--as-of") from exc
    config = ScoreConfig.load(config_path, window)
    decisions = read_decisions(decisions_path) if decisions_path else {}
    tables = CommerceTables()
    for path in findings_path or ():
        tables.add_findings(read_records(path, Finding))
    scanner = Scanner.from_config(ScanConfig()) if scan else None
    sink = RejectSink(rejects or default_rejects_path(out, db))
    stats = ReadStats()
    n_scan = 0
    with ExitStack() as stack:
        events = with_progress(read_inputs(paths, InputOptions(table_type=table_type), sink, stats), err, stack)
        if scanner is not None:
            for f in scanner.run(events, tables.add):
                tables.add_findings((f,))
                n_scan += 1
        else:
            tables.add_all(events)
        sink.close()
    if backtest_mode:
        result = backtest(tables, config, as_of_ms)
        if format == "table":
            Console(width=200).print(backtest_table(result))
        else:
            sys.stdout.buffer.write(msgspec.json.format(msgspec.json.encode(result), indent=2) + b"\n")
        return
    try:
        engine = engine_named(engine_name)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--engine") from exc
    except ImportError as exc:
        raise ClearLiveError(f"--engine spark needs PySpark: pip install 'clearlive[spark]' ({exc})") from exc
    scores = score_tables(tables, config, engine, as_of_ms, decisions)
    encoder = msgspec.json.Encoder()
    with ExitStack() as stack:
        if format == "table":
            file = stack.enter_context(out.open("w", encoding="utf-8")) if out else None
            console = Console(file=file, width=200) if file or not sys.stdout.isatty() else Console()
            console.print(scores_table(scores))
        else:
            fh = stack.enter_context(out.open("wb")) if out is not None else sys.stdout.buffer
            if format == "jsonl":
                for s in scores:
                    fh.write(encoder.encode(s) + b"\n")
            else:
                fh.write(msgspec.json.format(encoder.encode(scores), indent=2) + b"\n")
            fh.flush()
    if db is not None:
        with Store(db) as store:
            store.add_scores(scores)
    if parquet is not None:
        write_parquet(scores, parquet)
    scored = sum(1 for s in scores if s.score is not None)
    err.print(
        f"[bold]read[/] {stats.total_read} records: {stats.total_accepted} accepted, {stats.total_rejected} rejected"
        + (f" (written to {sink.path})" if sink.count else "")
    )
    err.print(
        f"[bold]scored[/] {scored} of {len(scores)} shops and hosts ({len(scores) - scored} with too little data)"
        + (f"; {n_scan} findings from the scan" if scanner is not None else "")
    )
