"""`clearlive scan --engine spark` (issue #20 item 1): Spark reads an archive folder (JSON Lines,
gzipped JSON Lines and a Parquet events table) and gives, byte for byte, the findings and rejects
of `clearlive scan` of the same files.

Needs PySpark and Java 17; skipped without them. About a minute, most of it Spark starting."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from tests.test_lifecycle import demo_events, early_claims_room, ring_orders

ROOT = Path(__file__).resolve().parents[1]


def _clearlive(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "clearlive", "scan", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)


def _archive(tmp_path: Path) -> list[Path]:
    """Three files of one day, each in time order: the demo rooms (with two lines that cannot be
    read), the early-claims room gzipped, and the order ring as a Parquet table of events."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    demo = sorted(demo_events(tmp_path), key=lambda e: (e.ts, e.id or ""))
    t0 = int(demo[0].ts)
    folder = tmp_path / "archive"
    folder.mkdir()
    lines = [msgspec.json.encode(e) for e in demo]
    lines.insert(100, b'{"type": "comment", "room_id": "room-x", "ts": 1')  # cut off
    lines.insert(200, json.dumps({"type": "comment", "room_id": "r", "ts": t0, "user_id": 5}).encode())  # not text
    rooms = folder / "a-rooms.jsonl"
    rooms.write_bytes(b"\n".join(lines) + b"\n")
    early = folder / "b-early.jsonl.gz"
    events = sorted(early_claims_room(t0 + 600_000), key=lambda e: e.ts)
    early.write_bytes(gzip.compress(b"".join(msgspec.json.encode(e) + b"\n" for e in events)))
    orders = folder / "c-orders.parquet"
    rows = [msgspec.to_builtins(e) for e in sorted(ring_orders(t0), key=lambda e: e.ts)]
    for row in rows:
        row.pop("id", None)  # derived from the file name and row number, in both engines
    pq.write_table(pa.Table.from_pylist(rows), orders)
    return [rooms, early, orders]


@pytest.mark.skipif(shutil.which("java") is None and not os.environ.get("JAVA_HOME"), reason="needs Java 17")
def test_spark_scan_of_an_archive_folder_gives_the_findings_and_rejects_of_clearlive_scan(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    files = _archive(tmp_path)
    local = _clearlive(
        *map(str, files), "--out", str(tmp_path / "local.jsonl"), "--rejects", str(tmp_path / "lr.jsonl")
    )
    assert local.returncode == 0, local.stderr
    found = [json.loads(line) for line in (tmp_path / "local.jsonl").read_text().splitlines()]
    rules = {f["rule_id"] for f in found}
    # the early room's claims are only in the gzipped file, the order ring only in the Parquet table
    assert {"facts.origin.mismatch", "fraud.fraudar"} <= rules and len(found) > 100

    spark = _clearlive(
        str(files[0].parent),
        "--engine",
        "spark",
        "--out",
        str(tmp_path / "spark.jsonl"),
        "--rejects",
        str(tmp_path / "sr.jsonl"),
    )
    assert spark.returncode == 0, spark.stderr
    assert (tmp_path / "spark.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    rejects = (tmp_path / "sr.jsonl").read_bytes()
    assert rejects == (tmp_path / "lr.jsonl").read_bytes()
    assert [(r["source"], r["line"], r["field"]) for r in map(json.loads, rejects.splitlines())] == [
        ("a-rooms.jsonl", 101, None),
        ("a-rooms.jsonl", 201, "user_id"),
    ]
    summary = [line for line in local.stderr.splitlines() if line.startswith(("read ", "found "))]
    assert summary and all(line in spark.stderr for line in summary)  # the same counts


def test_spark_engine_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    path.write_text('{"type": "comment", "room_id": "r", "ts": 0, "user_id": "u", "text": "hi"}\n')
    proc = _clearlive(str(path), "--engine", "spark", "--db", str(tmp_path / "x.duckdb"))
    assert proc.returncode == 2 and "--engine" in proc.stderr and "no --db" in proc.stderr
    proc = _clearlive(str(path), "--engine", "flink")
    assert proc.returncode == 2 and "python or spark" in proc.stderr
