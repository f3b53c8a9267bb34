"""ClearLive's detectors inside Spark Structured Streaming, reading the service's Redis lanes.

For a platform that already runs Spark: a Python streaming data source reads the tenants' Redis
lanes the service front writes (`clearlive:events:t<shard>`: every event of a tenant, in the order
the front accepted them; offsets tracked by Spark's checkpoint, not by a consumer group). Two
stateful operators (`transformWithStateInPandas`) run the same `Scanner` as every other runtime:

- the "rooms" part (the per-room detectors), its rooms spread over `buckets` groups per tenant
  (bucket = CRC32(room) mod buckets). Each event goes to its room's bucket whole and to the
  tenant's other buckets as a tick (its time only), so every bucket's scanner runs on the tenant's
  clock: a room ends at its `session_end`, a new session, an idle gap of its own, or when the
  tenant's clock has moved IDLE_MS past its latest event, at the same event as in `clearlive scan`
  (`Scanner.advance`), even when its feed just stops. A bucket's state (its rooms, the lifecycle's
  clock, pickled) is in Spark's state store and is cleared when its last room ends;
- the "cross" part, grouped by tenant: fan raids, and FRAUDAR, lockstep accounts and silent
  audiences over the lifecycle's sliding windows.

Each group's rows are taken in stream order (the front's acceptance order), as the Redis workers
take them, so the findings and their ids are those of `clearlive scan` and the service.
Findings go out as rows; the sink here stores them in the service store, idempotently. The error
policy is the other runtimes' (`clearlive.watch.scan.worker_core`): an event a detector raises on is
retried from the group's state at the start of the micro-batch, then goes out as a `dead_letter`
row and the group goes on without it. A restarted query resumes from its checkpoint with every
bucket's and tenant's state (the number of buckets must stay the same for one checkpoint):
`tests/test_spark_stream.py` stops Spark between two runs and compares the findings with an
uninterrupted scan.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import msgspec
import pandas as pd
from pyspark.sql.datasource import DataSource, DataSourceStreamReader, InputPartition
from pyspark.sql.streaming.stateful_processor import StatefulProcessor, StatefulProcessorHandle
from pyspark.sql.types import BinaryType, StructField, StructType

from clearlive.model.events import Event, EventBase
from clearlive.model.findings import Finding
from clearlive.serve.redis_transport import stream_key
from clearlive.watch.scan.scanner import ScanConfig, Scanner
from clearlive.watch.scan.sessions import SessionTracker
from clearlive.watch.scan.worker_core import DeadLetter, Retry, WorkerCore, detect_each

EVENT_SCHEMA = "tenant string, room_id string, ts long, entry_ms long, entry_n long, event string"
# `kind` is "finding" (`record`: the finding) or "dead_letter" (`finding_id`: the event's id;
# `record`: the `DeadLetter`, see clearlive.watch.scan.worker_core)
FINDING_SCHEMA = "tenant string, room_id string, finding_id string, record string, kind string"
ROOM_BUCKETS = 8  # groups per tenant for the per-room detectors (fixed for the life of a checkpoint)
_decode = msgspec.json.Decoder(Event).decode
_encode = msgspec.json.Encoder().encode


class _Shard(InputPartition):
    def __init__(self, key: str, start: str, end: str) -> None:
        self.key, self.start, self.end = key, start, end


class RedisShardsReader(DataSourceStreamReader):
    def __init__(self, options: dict[str, str]) -> None:
        self.url = options.get("url", "redis://127.0.0.1:6379/0")
        self.shards = int(options.get("shards", "4"))
        prefix = "t" if options.get("lanes", "rooms") == "tenants" else ""  # the tenants' lanes, or the rooms'
        self.keys = [stream_key(f"{prefix}{s}") for s in range(self.shards)]

    def _redis(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url)

    def initialOffset(self) -> dict[str, str]:
        return dict.fromkeys(self.keys, "0-0")

    def latestOffset(self) -> dict[str, str]:  # type: ignore[override]  # Spark 4.x runs it with no arguments
        r = self._redis()
        out = {}
        for key in self.keys:
            last = r.xrevrange(key, count=1)
            out[key] = last[0][0].decode() if last else "0-0"
        return out

    def partitions(self, start: dict[str, str], end: dict[str, str]) -> list[_Shard]:
        return [_Shard(k, start.get(k, "0-0"), end[k]) for k in end if end[k] != start.get(k, "0-0")]

    def read(self, partition: _Shard) -> Iterator[tuple[str, str, int, int, int, str]]:  # type: ignore[override]
        r = self._redis()
        for entry, fields in r.xrange(partition.key, min="(" + partition.start, max=partition.end):
            if b"e" not in fields:
                continue  # a room shard's tick (the Redis workers' clock): Spark makes its own
            ev = _decode(fields[b"e"])
            ms, _, n = entry.decode().partition("-")  # the entry id: the order the front accepted it in
            yield fields[b"t"].decode(), ev.room_id, int(ev.ts), int(ms), int(n), fields[b"e"].decode()

    def commit(self, end: dict[str, str]) -> None:
        """Entries stay in Redis: the service's own workers or a retention policy trim them."""


class RedisShardsSource(DataSource):
    @classmethod
    def name(cls) -> str:
        return "clearlive_redis"

    def schema(self) -> str:
        return EVENT_SCHEMA

    def streamReader(self, schema: Any) -> RedisShardsReader:
        return RedisShardsReader(dict(self.options))


class _Tick:
    """Another bucket's event in a group's rows: it only moves the tenant's clock (Scanner.advance).
    It passes through the worker core among the events, which names each by `id`."""

    def __init__(self, ts: int) -> None:
        self.ts = ts
        self.id = f"tick:{ts}"


def scan_rows(
    scanner: Scanner, rows: pd.DataFrame, lane: str = "spark-rooms", start: bytes | None = None
) -> list[tuple[str, str, str, str, str]]:
    """One group's rows of a micro-batch through its scanner, in stream order, under the worker
    core's error policy: an event is processed, a tick (no event: another bucket's room) moves the
    tenant's clock. A detector that raises sends the group back to its state at the start of the
    rows; after the core's last attempt the event is a dead letter and the rest go on without it.
    `start`: the group's state as the scanner was restored from (taken from the scanner if not
    given). Returns the output rows (FINDING_SCHEMA): findings, then dead letters."""
    tenant = scanner.tenant
    batch = rows.sort_values(["entry_ms", "entry_n"], kind="stable")
    items: list[Any] = [
        _Tick(int(ts)) if raw is None or (isinstance(raw, float) and raw != raw) else _decode(raw.encode())
        for ts, raw in zip(batch["ts"], batch["event"], strict=True)  # pandas may give NaN for a null tick
    ]
    if start is None:
        start = pickle.dumps(scanner.state())
    sink = _Rows()
    core = WorkerCore(sink, store_events=False)
    while True:
        sink.found.clear()
        try:
            core.process(_Each(scanner), tenant, items, lane=lane)
            break
        except Retry:
            scanner.restore(pickle.loads(start))
    out = [(tenant, f.room_id, f.id, _encode(f).decode(), "finding") for f in sink.found]
    out += [(d.tenant, d.room_id, d.event_id, _encode(d).decode(), "dead_letter") for d in sink.letters]
    return out


def group_state(scanner: Scanner) -> bytes | None:
    """What a group keeps between micro-batches: its scanner's state, or nothing once a "rooms"
    group has no room left. The session summaries are not kept (Spark reports findings only)."""
    scanner.sessions = SessionTracker()
    if scanner.part == "rooms" and not scanner.rooms:
        return None
    return pickle.dumps(scanner.state())


class _PartScanner(StatefulProcessor):
    """A group's share of the scanner (`part`), its state in Spark's state store between
    micro-batches; the group is a tenant's bucket of rooms ("rooms") or a tenant ("cross")."""

    part = "rooms"

    def init(self, handle: StatefulProcessorHandle) -> None:
        self.state = handle.getValueState("scanner", StructType([StructField("blob", BinaryType())]))
        self.scanner = Scanner.from_config(ScanConfig(), part=self.part)  # every detector, as elsewhere
        self.blank = pickle.dumps(self.scanner.state())  # detectors as built: no room, no cross-room memory

    def handleInputRows(self, key: Any, rows: Iterator[pd.DataFrame], timerValues: Any) -> Iterator[pd.DataFrame]:
        self.scanner.tenant = key[0]
        # this group's own state, saved by us; else the detectors as built
        saved = self.state.get() if self.state.exists() else None
        start = saved[0] if saved is not None else self.blank
        self.scanner.restore(pickle.loads(start))
        out = scan_rows(self.scanner, pd.concat(list(rows)), lane=f"spark-{self.part}", start=start)
        blob = group_state(self.scanner)
        if blob is None:
            self.state.clear()  # every room of the group ended: nothing of them is kept
        else:
            self.state.update((blob,))
        yield pd.DataFrame(out, columns=["tenant", "room_id", "finding_id", "record", "kind"])

    def close(self) -> None:
        pass


class _Each:
    """A scanner as the worker core drives it (one tenant's: the group's)."""

    def __init__(self, scanner: Scanner) -> None:
        self.scanner = scanner

    def process(self, tenant: str, events: Iterable[EventBase]) -> list[Finding]:
        out: list[Finding] = []
        run: list[EventBase] = []
        for item in events:  # events, and ticks of the tenant's other buckets
            if isinstance(item, _Tick):
                out += detect_each(self.scanner, run)
                run = []
                out += self.scanner.advance(item.ts)
            else:
                run.append(item)
        return out + detect_each(self.scanner, run)


class _Rows:
    """The worker core's sink inside a Spark group: findings and dead letters become output rows
    (the query's sink stores them)."""

    def __init__(self) -> None:
        self.found: list[Finding] = []
        self.letters: list[DeadLetter] = []

    def add_events(self, tenant: str, events: Iterable[EventBase]) -> None:
        return None  # the events are in Redis (and in the service store, written by its front)

    def add_findings(self, tenant: str, findings: Iterable[Finding]) -> None:
        self.found.extend(findings)

    def add_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        self.letters.extend(letters)


class RoomScanner(_PartScanner):
    """A bucket of one tenant's rooms: their per-room detectors and lifecycle."""

    part = "rooms"


class TenantScanner(_PartScanner):
    """One tenant's cross-room detectors over all its rooms."""

    part = "cross"


def spark_session(master: str = "local[2]", app: str = "clearlive-stream") -> Any:
    """A session for the streaming job: group state in RocksDB, the Redis lanes as a source. The
    shuffle partitions are fixed for the life of a checkpoint (Spark keeps state per partition)."""
    from clearlive.watch.scan.spark_scan import spark_session as session

    spark = session(
        master,
        app,
        {
            "spark.sql.shuffle.partitions": "4",
            "spark.sql.streaming.stateStore.providerClass": (
                "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider"
            ),
        },
    )
    spark.dataSource.register(RedisShardsSource)
    return spark


def findings_stream(spark: Any, redis_url: str, shards: int, buckets: int = ROOM_BUCKETS) -> Any:
    """The streaming DataFrame of findings (FINDING_SCHEMA) over the service's tenant lanes: the
    per-room part grouped by (tenant, bucket of rooms), every event also a tick in the tenant's
    other buckets, and the cross-room part grouped by tenant."""
    from pyspark.sql import functions as F

    def lanes() -> Any:
        reader = spark.readStream.format("clearlive_redis").option("url", redis_url).option("shards", shards)
        return reader.option("lanes", "tenants").load()

    own = F.pmod(F.crc32(F.col("room_id").cast("binary")), F.lit(buckets))
    rooms = (
        lanes()
        .withColumn("own", own)
        .withColumn("bucket", F.explode(F.sequence(F.lit(0), F.lit(buckets - 1))))
        .withColumn("event", F.when(F.col("bucket") == F.col("own"), F.col("event")))  # else a tick
        .drop("own")
        .groupBy("tenant", "bucket")
        .transformWithStateInPandas(
            statefulProcessor=RoomScanner(), outputStructType=FINDING_SCHEMA, outputMode="Append", timeMode="None"
        )
    )
    tenants = (
        lanes()
        .groupBy("tenant")
        .transformWithStateInPandas(
            statefulProcessor=TenantScanner(), outputStructType=FINDING_SCHEMA, outputMode="Append", timeMode="None"
        )
    )
    return rooms.unionByName(tenants)


def start(
    spark: Any,
    redis_url: str,
    shards: int,
    checkpoint: str,
    sink: Any,
    buckets: int = ROOM_BUCKETS,
    once: bool = False,
    every: str = "5 seconds",
) -> Any:
    """Start the query; `sink(rows)` gets each micro-batch's finding rows (FINDING_SCHEMA as dicts).
    `once`: process what the shards hold now and stop (trigger availableNow); else a micro-batch
    every `every`, until the query is stopped. A later start with the same checkpoint continues."""
    writer = (
        findings_stream(spark, redis_url, shards, buckets)
        .writeStream.outputMode("append")
        .foreachBatch(lambda batch, _: sink([r.asDict() for r in batch.collect()]))
        .option("checkpointLocation", checkpoint)
    )
    return writer.trigger(availableNow=True).start() if once else writer.trigger(processingTime=every).start()


def run_available(
    spark: Any, redis_url: str, shards: int, checkpoint: str, sink: Any, buckets: int = ROOM_BUCKETS
) -> None:
    """Process everything in the shards now and stop (see `start`)."""
    start(spark, redis_url, shards, checkpoint, sink, buckets, once=True).awaitTermination()


class StoreRows:
    """The query's sink into the service store: findings (a finding already stored is left as it
    was, so a micro-batch replayed after a crash stores nothing twice) and dead letters."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.findings = 0
        self.dead_letters = 0

    def __call__(self, rows: list[dict[str, Any]]) -> None:
        by_tenant: dict[str, list[Finding]] = {}
        letters: list[DeadLetter] = []
        for r in rows:
            if r["kind"] == "finding":
                by_tenant.setdefault(r["tenant"], []).append(msgspec.json.decode(r["record"], type=Finding))
            else:
                letters.append(msgspec.json.decode(r["record"], type=DeadLetter))
        for tenant, found in by_tenant.items():
            self.findings += self.store.add_findings(tenant, found)
        if letters:
            self.store.add_dead_letters(letters)
            self.dead_letters += len(letters)
