"""`clearlive scan --engine spark`: an archive of events scanned by Spark, grouped by room, with the
findings (ids and order) of `clearlive scan`.

An archive is one or more paths Spark reads (local files, `hdfs://`, `s3a://`...; a folder stands
for the files in it, in name order): JSON Lines (`.jsonl`, `.ndjson`, gzipped too) or Parquet
tables of events (CONTRACT section 2). The steps:

1. Spark reads each file; its Python workers decode the lines or rows with the readers of
   `clearlive scan` (`clearlive.watch.sources`), so an event gets the same derived id (file name and
   line) and a bad record the same reject (file, line, field).
2. The events are put in the order `clearlive scan` reads them: one file in its own order, several
   merged by time (ties by file, then line), as `read_inputs` merges them. Each is numbered.
3. The per-room part of the scanner (`Scanner` part "rooms") runs in `buckets` groups, a room in
   bucket CRC32(room) mod buckets as the other runtimes shard rooms; every event also goes to the
   other buckets as a tick (its time only: `Scanner.advance`), so every bucket's rooms end at the
   same event as in one scanner. The cross-room part ("cross") runs in one group over every event.
   Each group drives its scanner through the worker core (`clearlive.watch.scan.worker_core`) under
   the runtimes' one error policy: an event a detector raises on is retried from the group's last
   checkpoint (every CHECKPOINT_EVERY events), then becomes a dead letter and the rest go on.
4. Every finding is tagged with its event's number and the step of `Scanner.process` that made it,
   as `clearlive scan --jobs N` tags them (`clearlive.watch.scan.shards`); the driver sorts them into
   one scanner's order.

Spark is in the `[spark]` extra (PySpark, pandas). In local mode (`local[2]`, the default) the
Python workers import the driver's own `clearlive`.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import pandas as pd

from clearlive.errors import InputError
from clearlive.model.events import Event, EventBase
from clearlive.model.findings import Finding
from clearlive.watch.scan.scanner import ScanConfig, Scanner
from clearlive.watch.scan.shards import FINAL, Tagged, _tag
from clearlive.watch.scan.worker_core import DeadLetter, EventFailed, Retry, WorkerCore
from clearlive.watch.sources import JSONL_SUFFIXES, ReadStats
from clearlive.watch.sources.jsonl import decode_lines, source_name
from clearlive.watch.sources.rejects import Reject
from clearlive.watch.sources.tables import _convert_rows, table_type_for

BUCKETS = 8  # groups of rooms (Spark tasks) for the per-room detectors
CHECKPOINT_EVERY = 2000  # events between a group's checkpoints: how far back a retry goes
# One decoded record: (order time, file index, line or row number, room, event time, event JSON,
# reject JSON); the event or the reject is null.
RECORD_SCHEMA = "k long, f long, n long, room_id string, ts long, event string, reject string"
# One group's output: a finding (or dead letter) with its tag and its place in the group's output.
OUT_SCHEMA = "tag_i long, tag_step long, tag_room string, seq long, kind string, record string"
_decode_event = msgspec.json.Decoder(Event).decode
_decode_finding = msgspec.json.Decoder(Finding).decode
_encode = msgspec.json.Encoder().encode


@dataclass
class ArchiveScan:
    """What `scan_archive` gives: the findings in one scanner's order, the records it rejected (in
    file and line order), the events the error policy gave up on, and the read counts."""

    findings: list[Finding]
    rejects: list[Reject]
    dead_letters: list[DeadLetter]
    stats: ReadStats = field(default_factory=ReadStats)


def spark_session(master: str = "local[2]", app: str = "clearlive-scan", conf: dict[str, str] | None = None) -> Any:
    """A Spark session for ClearLive's jobs (`conf` adds to or overrides the settings below). In
    local mode the Python workers import the driver's own `clearlive` (a checkout run from its root
    would otherwise have them import an installed one)."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the workers run this interpreter
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",  # stderr is the command's own summary
        "spark.sql.shuffle.partitions": str(BUCKETS),
        "spark.sql.session.timeZone": "UTC",
        # A Parquet file in one partition: Spark orders a file's splits by size, not by place.
        "spark.sql.files.maxPartitionBytes": str(1 << 40),
    }
    if master.startswith("local"):
        here = str(Path(__file__).resolve().parents[2])
        settings["spark.executorEnv.PYTHONPATH"] = os.pathsep.join(
            p for p in (here, os.environ.get("PYTHONPATH", "")) if p
        )
    builder = SparkSession.builder.master(master).appName(app)
    for key, value in {**settings, **(conf or {})}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def archive_files(spark: Any, paths: list[str]) -> list[str]:
    """The files of `paths` (a folder: its files in name order), each a JSON Lines or Parquet file."""
    out: list[str] = []
    for p in paths:
        try:
            files = sorted(spark.read.format("text").load(p).inputFiles())
        except Exception as exc:  # Spark's AnalysisException: the path does not exist
            raise InputError(f"{p}: Spark cannot read it: {str(exc).splitlines()[0]}") from None
        if not files:
            raise InputError(f"{p}: no files")
        for f in files:
            if not (f.endswith(JSONL_SUFFIXES) or f.endswith(".parquet")):
                raise InputError(f"{f}: --engine spark reads JSON Lines (.jsonl, .jsonl.gz) or Parquet files")
        out += files
    return out


def _lines(index: int, path: str, lang: str | None, merged: bool) -> Any:
    """A function of a block of (line, index) pairs of file `index`: its decoded records."""

    def decode(block: Iterator[tuple[bytes, int]]) -> Iterator[tuple[Any, ...]]:
        first = next(block, None)
        if first is None:
            return
        rejects: list[Reject] = []
        source = source_name(path)

        def raw() -> Iterator[bytes]:
            yield first[0] + b"\n"
            for line, _ in block:
                yield line + b"\n"

        for n, ev in decode_lines(raw(), source, rejects.append, lang, start=first[1] + 1):
            yield _record(index, n, ev, rejects, merged)

    return decode


def _rows(index: int, path: str, kind: str | None, lang: str | None, merged: bool) -> Any:
    """A function of a block of (row, index) pairs of Parquet file `index`: its decoded records."""

    def decode(block: Iterator[tuple[Any, int]]) -> Iterator[tuple[Any, ...]]:
        rejects: list[Reject] = []
        rows = ((i + 1, row.asDict(recursive=True)) for row, i in block)
        for n, ev in _convert_rows(rows, kind, source_name(path), "row", rejects.append, lang):
            yield _record(index, n, ev, rejects, merged)

    return decode


def _record(index: int, n: int, ev: EventBase | None, rejects: list[Reject], merged: bool) -> tuple[Any, ...]:
    if ev is None:
        reject = rejects.pop() if rejects else Reject(source="", line=n, field=None, error="unreadable", raw="")
        return (0, index, n, None, None, None, _encode(reject).decode())
    ts = int(ev.ts)
    return (ts if merged else 0, index, n, ev.room_id, ts, _encode(ev).decode(), None)


def _read(spark: Any, files: list[str], config: ScanConfig) -> Any:
    """Every record of `files` (RECORD_SCHEMA), decoded by the workers."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import TimestampType

    sc = spark.sparkContext
    merged = len(files) > 1
    lang = config.inputs.lang
    parts = []
    for i, f in enumerate(files):
        if f.endswith(".parquet"):
            df = spark.read.parquet(f)
            for col in df.schema.fields:  # times as epoch ms, as Arrow gives them to `clearlive scan`
                if isinstance(col.dataType, TimestampType):
                    df = df.withColumn(col.name, F.unix_millis(F.col(col.name)))
            kind = table_type_for(Path(f), config.inputs.table_type)
            parts.append(df.rdd.zipWithIndex().mapPartitions(_rows(i, f, kind, lang, merged)))
        else:
            lines = sc.textFile(f, use_unicode=False)
            parts.append(lines.zipWithIndex().mapPartitions(_lines(i, f, lang, merged)))
    return spark.createDataFrame(sc.union(parts), RECORD_SCHEMA)


class _Tick:
    """Another bucket's event: only its time (it moves the tenant's clock, `Scanner.advance`)."""

    def __init__(self, ts: int, index: int) -> None:
        self.ts = ts
        self.id = f"tick:{index}"


class _TaggedScanner:
    """A group's scanner as the worker core drives it, tagging each finding with its event's number
    and step (`clearlive.watch.scan.shards`)."""

    def __init__(self, scanner: Scanner, number: dict[int, int], out: Tagged) -> None:
        self.scanner, self.number, self.out = scanner, number, out
        self.rooms = scanner.part == "rooms"

    def process(self, tenant: str, events: Iterable[Any]) -> list[Finding]:
        found: list[Finding] = []
        for item in events:
            i = self.number[id(item)]
            if isinstance(item, _Tick):
                step = self.scanner.advance(item.ts)
                _tag(i, step, None, self.rooms, self.out)
            else:
                marks: list[int] = []
                try:
                    step = self.scanner.process(item, marks)
                except Exception as exc:
                    raise EventFailed(item, exc) from exc
                _tag(i, step, marks, self.rooms, self.out)
            found += step
        return found


class _Letters:
    """The worker core's sink in a group: findings are tagged by `_TaggedScanner`; this keeps the
    dead letters."""

    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []

    def add_events(self, tenant: str, events: Iterable[EventBase]) -> None:
        return None

    def add_findings(self, tenant: str, findings: Iterable[Finding]) -> None:
        return None

    def add_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        self.letters.extend(letters)


def scan_group(config: ScanConfig, part: str, rows: pd.DataFrame) -> pd.DataFrame:
    """One group's events (columns i, ts, event; a null event is a tick) through its part of the
    scanner, checkpointed every CHECKPOINT_EVERY events; the output rows of OUT_SCHEMA."""
    scanner = Scanner.from_config(config, part=part)
    rows = rows.sort_values("i", kind="stable")
    items: list[Any] = []
    number: dict[int, int] = {}
    for i, ts, raw in zip(rows["i"], rows["ts"], rows["event"], strict=True):
        item = _Tick(int(ts), int(i)) if raw is None or raw != raw else _decode_event(raw.encode())  # NaN: a tick
        number[id(item)] = int(i)
        items.append(item)
    sink = _Letters()
    core = WorkerCore(sink, store_events=False)
    tagged: Tagged = []
    for start in range(0, len(items), CHECKPOINT_EVERY):
        checkpoint = pickle.dumps(scanner.state())
        while True:
            chunk: Tagged = []
            try:
                core.process(
                    _TaggedScanner(scanner, number, chunk), scanner.tenant, items[start : start + CHECKPOINT_EVERY]
                )
                break
            except Retry:
                scanner.restore(pickle.loads(checkpoint))
        tagged += chunk
    _tag(FINAL, scanner.finish(), None, part == "rooms", tagged)
    out = [(t[0], t[1], t[2], seq, "finding", _encode(f).decode()) for seq, (t, f) in enumerate(tagged)]
    out += [(-1, 0, "", seq, "dead_letter", _encode(d).decode()) for seq, d in enumerate(sink.letters)]
    return pd.DataFrame(out, columns=["tag_i", "tag_step", "tag_room", "seq", "kind", "record"])


def scan_archive(spark: Any, paths: list[str], config: ScanConfig, buckets: int = BUCKETS) -> ArchiveScan:
    """Scan the archive at `paths` on `spark` (see the module docstring)."""
    from pyspark.sql import functions as F

    files = archive_files(spark, paths)
    records = _read(spark, files, config).cache()
    try:
        result = ArchiveScan([], [], [])
        for row in records.where("reject IS NOT NULL").orderBy("f", "n").collect():
            result.rejects.append(msgspec.json.decode(row["reject"], type=Reject))
        names = [source_name(f) for f in files]
        for row in records.groupBy("f").agg(F.count("*").alias("read"), F.count("event").alias("ok")).collect():
            name = names[row["f"]]
            result.stats.read[name] += row["read"]
            result.stats.accepted[name] += row["ok"]
            result.stats.rejected[name] += row["read"] - row["ok"]

        ordered = records.where("event IS NOT NULL").orderBy("k", "f", "n").select("room_id", "ts", "event")
        numbered = spark.createDataFrame(
            ordered.rdd.zipWithIndex().map(lambda p: (p[1], *p[0])), "i long, room_id string, ts long, event string"
        ).cache()  # read by both parts
        own = F.pmod(F.crc32(F.col("room_id").cast("binary")), F.lit(buckets))  # shards.shard_of, in Spark
        rooms = (
            numbered.withColumn("own", own)
            .withColumn("bucket", F.explode(F.sequence(F.lit(0), F.lit(buckets - 1))))
            .withColumn("event", F.when(F.col("bucket") == F.col("own"), F.col("event")))  # else a tick
            .groupBy("bucket")
            .applyInPandas(lambda rows: scan_group(config, "rooms", rows), OUT_SCHEMA)
        )
        cross = (
            numbered.withColumn("all", F.lit(0))
            .groupBy("all")
            .applyInPandas(lambda rows: scan_group(config, "cross", rows), OUT_SCHEMA)
        )
        # The cross part's rows first, then the rooms' (as `scan_sharded` merges them); a tag's
        # findings all come from one group, in the order the group made them.
        out = [(0, r) for r in cross.collect()] + [(1, r) for r in rooms.collect()]
        numbered.unpersist()
    finally:
        records.unpersist()
    found = sorted(
        ((r["tag_i"], r["tag_step"], r["tag_room"]), part, r["seq"], r["record"])
        for part, r in out
        if r["kind"] == "finding"
    )
    result.findings = [_decode_finding(record) for *_, record in found]
    letters = sorted((r["seq"], part, r["record"]) for part, r in out if r["kind"] == "dead_letter")
    result.dead_letters = [msgspec.json.decode(record, type=DeadLetter) for *_, record in letters]
    return result
