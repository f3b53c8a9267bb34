"""`clearlive scan`: findings with evidence for recorded rooms (CONTRACT section 3)."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from clearlive.cli.asr_options import AsrModelOpt, AsrSha256Opt, AsrVadOpt, AsrWindowOpt, asr_settings
from clearlive.cli.output import FORMATS, write_json, write_jsonl, write_table
from clearlive.extras import require
from clearlive.model.findings import SEVERITIES, SEVERITY_RANK, Finding
from clearlive.watch.scan.lifecycle import DEFAULT_TENANT

if TYPE_CHECKING:
    from clearlive.model.events import EventBase
    from clearlive.watch.scan.scanner import ScanConfig
    from clearlive.watch.sources import ReadStats, RejectSink

err = Console(stderr=True, soft_wrap=True)


def default_rejects_path(out: Path | None, db: Path | None) -> Path:
    anchor = out or db
    if anchor is not None:
        return anchor.with_name(anchor.name + ".rejects.jsonl")
    return Path("clearlive-rejects.jsonl")


def with_progress(events: Iterator[EventBase], console: Console, stack: ExitStack) -> Iterator[EventBase]:
    """Count events on a transient progress line when stderr is a terminal (updates every 5,000)."""
    if not console.is_terminal:
        yield from events
        return
    progress = stack.enter_context(
        Progress(
            SpinnerColumn(),
            TextColumn("scanning: {task.completed:,} events"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
    )
    task = progress.add_task("scan", total=None)
    n = 0
    for ev in events:
        n += 1
        if n % 5000 == 0:
            progress.update(task, completed=n)
        yield ev


def print_summary(stats: ReadStats, sink: RejectSink, findings: Counter[str], console: Console) -> None:
    console.print(
        f"[bold]read[/] {stats.total_read} records from {len(stats.read)} input(s): "
        f"{stats.total_accepted} accepted, {stats.total_rejected} rejected"
    )
    for r in sink.first[:10]:
        console.print(f"  [yellow]rejected[/] {r.describe()}", markup=False, highlight=False)
    if sink.count > 10:
        console.print(f"  ... and {sink.count - 10} more")
    if sink.count and sink.path is not None:
        console.print(f"  rejected records written to {sink.path}")
    by_sev = ", ".join(f"{findings[s]} {s}" for s in reversed(SEVERITIES) if findings[s])
    console.print(f"[bold]found[/] {sum(findings.values())} finding(s)" + (f" ({by_sev})" if by_sev else ""))


def _scan_on_spark(
    paths: list[str], config: ScanConfig, master: str, sink: RejectSink, stats: ReadStats
) -> list[Finding]:
    """`--engine spark`: the archive scanned by Spark (clearlive.watch.scan.spark_scan); its rejects
    and counts reported as a local scan's, the events the error policy gave up on named."""
    from clearlive.watch.scan.spark_scan import scan_archive, spark_session

    spark = spark_session(master)
    try:
        result = scan_archive(spark, paths, config)
    finally:
        spark.stop()
    for reject in result.rejects:
        sink(reject)
    for counter, counts in ((stats.read, result.stats.read), (stats.accepted, result.stats.accepted)):
        counter.update(counts)
    stats.rejected.update(result.stats.rejected)
    for d in result.dead_letters:
        err.print(f"[red]gave up on[/] event {d.event_id} of room {d.room_id}: {d.error}", highlight=False)
    return result.findings


def scan_command(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Inputs: .jsonl[.gz], .vtt, .srt, Whisper .json, .csv, .parquet, audio or video "
            "(.wav .mp3 .m4a .aac .mp4 .flv .mkv ...); '-' is stdin."
        ),
    ],
    format: Annotated[str, typer.Option("--format", "-f", help="jsonl, json or table.")] = "jsonl",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write findings here instead of stdout.")] = None,
    db: Annotated[
        Path | None, typer.Option("--db", help="Also store events, findings and session summaries in this DuckDB file.")
    ] = None,
    rules: Annotated[
        list[Path] | None, typer.Option("--rules", help="Extra rule pack (YAML file or folder); repeatable.")
    ] = None,
    fail_on: Annotated[
        str | None, typer.Option("--fail-on", help="Exit 1 if a finding at or above this severity exists.")
    ] = None,
    rejects: Annotated[
        Path | None,
        typer.Option(
            "--rejects", help="Where rejected records go (default: beside --out/--db, else ./clearlive-rejects.jsonl)."
        ),
    ] = None,
    room: Annotated[
        str | None, typer.Option("--room", help="Transcripts: the room id (default: the file name).")
    ] = None,
    session: Annotated[str | None, typer.Option("--session", help="Transcripts: the session id.")] = None,
    anchor: Annotated[str | None, typer.Option("--anchor", help="Transcripts: the host's anchor id.")] = None,
    t0: Annotated[
        str | None, typer.Option("--t0", help="Transcripts: RFC 3339 time of second 0 of the recording.")
    ] = None,
    table_type: Annotated[
        str | None, typer.Option("--type", help="Tables: the event type of every row (default: from the file name).")
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="Language of inputs that do not say (zh, zh-Hant, en).")
    ] = None,
    model: Annotated[
        Path | None, typer.Option("--model", help="A trained abuse model to run beside the rules.")
    ] = None,
    claims_model: Annotated[
        Path | None,
        typer.Option("--claims-model", help="A category classifier (clearlive train claims) instead of the bundled."),
    ] = None,
    no_claims_model: Annotated[
        bool, typer.Option("--no-claims-model", help="Rules and detectors only: leave out the category classifier.")
    ] = False,
    encoder_model: Annotated[
        Path | None,
        typer.Option("--encoder-model", help="Also run this sentence-encoder model (clearlive train encoder)."),
    ] = None,
    verifier_model: Annotated[
        Path | None,
        typer.Option("--verifier-model", help="A verifier (clearlive train verifier) instead of the bundled."),
    ] = None,
    no_verifier: Annotated[
        bool,
        typer.Option("--no-verifier", help="Never lower a word match to info because its sentence reads compliant."),
    ] = False,
    asr_model: AsrModelOpt = None,
    asr_sha256: AsrSha256Opt = None,
    asr_window: AsrWindowOpt = 0.0,
    asr_vad: AsrVadOpt = False,
    tenant: Annotated[
        str,
        typer.Option("--tenant", help="The tenant named in every finding id; the service's tenant gives its ids."),
    ] = DEFAULT_TENANT,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            help="Scan rooms in N processes (sharded by room) beside this one, which runs the cross-room "
            "detectors; the same findings in the same order as one process.",
        ),
    ] = 1,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="python (default) or spark: Spark reads an archive (JSON Lines or Parquet, any path Spark reads) "
            "and scans it grouped by room; the same findings. Needs clearlive[spark].",
        ),
    ] = "python",
    spark_master: Annotated[
        str, typer.Option("--spark-master", help="With --engine spark: the Spark master (local[2], spark://...).")
    ] = "local[2]",
) -> None:
    """Scan recorded live rooms and print every finding with its evidence and legal basis."""
    # Imported here, not at the top: `clearlive` loads every command module, and the scan path
    # must not pay for the others (nor they for it). DuckDB loads only with --db.
    from clearlive.watch.scan.heap import freeze_built
    from clearlive.watch.scan.scanner import CLAIMS_MODEL, VERIFIER_MODEL, ScanConfig, Scanner
    from clearlive.watch.sources import InputOptions, ReadStats, RejectSink, read_inputs

    if format not in FORMATS:
        raise typer.BadParameter(f"use one of {', '.join(FORMATS)}", param_hint="--format")
    if fail_on is not None and fail_on not in SEVERITIES:
        raise typer.BadParameter(f"use one of {', '.join(SEVERITIES)}", param_hint="--fail-on")
    config = ScanConfig(
        rules=tuple(rules or ()),
        model=model,
        claims_model=None if no_claims_model else (claims_model or CLAIMS_MODEL),
        encoder_model=encoder_model,
        verifier_model=None if no_verifier else (verifier_model or VERIFIER_MODEL),
        tenant=tenant,
        inputs=InputOptions(
            room_id=room,
            session_id=session,
            anchor_id=anchor,
            t0=t0,
            table_type=table_type,
            lang=lang,
            asr=asr_settings(asr_model, asr_sha256, asr_window, asr_vad),
        ),
    )
    if jobs < 1:
        raise typer.BadParameter("at least 1", param_hint="--jobs")
    if engine not in ("python", "spark"):
        raise typer.BadParameter("use python or spark", param_hint="--engine")
    if engine == "spark":
        if db is not None or jobs > 1 or "-" in paths:
            raise typer.BadParameter(
                "Spark reads paths (not stdin) and stores nothing: no --db or --jobs", param_hint="--engine"
            )
        require("spark", "clearlive scan --engine spark", "pyspark", "pandas")
    if jobs > 1 and "-" in paths:
        raise typer.BadParameter("every process reads the inputs: standard input needs --jobs 1", param_hint="--jobs")
    scanner = Scanner.from_config(config) if jobs == 1 and engine == "python" else None
    if engine == "python":
        freeze_built()  # the scanner (or, with --jobs, the shards' copy-on-write parent) lives to the end
    sink = RejectSink(rejects or default_rejects_path(out, db))
    stats = ReadStats()
    counts: Counter[str] = Counter()
    worst = -1
    with ExitStack() as stack:
        store = None
        if db is not None:
            from clearlive.watch.scan_db import Store

            store = stack.enter_context(Store(db))
        on_event = store.add_event if store is not None else None
        findings_iter: Iterable[Finding]
        if engine == "spark":
            findings_iter = _scan_on_spark(paths, config, spark_master, sink, stats)
        else:
            events = with_progress(read_inputs(paths, config.inputs, sink, stats), err, stack)
            if scanner is not None:
                findings_iter = scanner.run(events, on_event)
            else:
                from clearlive.watch.scan.shards import scan_sharded

                findings_iter = scan_sharded(config, paths, events, jobs, on_event).findings

        def counted(findings_iter=findings_iter):
            nonlocal worst
            for f in findings_iter:
                counts[f.severity] += 1
                worst = max(worst, SEVERITY_RANK[f.severity])
                if store is not None:
                    store.add_findings((f,))
                yield f

        if format == "jsonl":
            # Stream: a long recording's findings appear as they are found.
            fh = stack.enter_context(out.open("wb")) if out is not None else sys.stdout.buffer
            write_jsonl(counted(), fh)
        else:
            collected: list[Finding] = list(counted())
            if format == "json":
                fh = stack.enter_context(out.open("wb")) if out is not None else sys.stdout.buffer
                write_json(collected, fh)
            elif out is not None:
                with out.open("w", encoding="utf-8") as text_fh:
                    write_table(collected, Console(file=text_fh, width=200))
            else:
                write_table(collected, Console())
        sink.close()
    print_summary(stats, sink, counts, err)
    if db is not None:
        err.print(f"stored in {db}")
    if fail_on is not None and worst >= SEVERITY_RANK[fail_on]:
        raise typer.Exit(1)
