"""ClearLive's detectors inside Spark Structured Streaming, reading the service's Redis lanes.

For a platform that already runs Spark: a Python streaming data source reads the Redis streams the
service front writes (offsets tracked by Spark's checkpoint, not by a consumer group). Two stateful
operators (`transformWithStateInPandas`) run the same `Scanner` as every other runtime:

- the rooms' events (`clearlive:events:<shard>`), grouped by (tenant, room), go through the
  scanner's "rooms" part (the per-room detectors), with the room's state (rooms, sessions, the
  lifecycle's clock, pickled) in Spark's state store; a room that ends (`session_end`, a new
  session, an idle gap) gives its end-of-room findings and its state is cleared;
- the tenants' events (`clearlive:events:t<shard>`, every event once more, in the order the front
  accepted them), grouped by tenant, go through the "cross" part: fan raids, and FRAUDAR, lockstep
  accounts and silent audiences over the lifecycle's sliding windows.

Each group's events are taken in stream order (the front's acceptance order), as the Redis workers
take them, so the findings and their ids are those of `clearlive scan` and the service.
Findings go out as rows; the sink here stores them in the service store, idempotently. The error
policy is the other runtimes' (`clearlive.service.worker_core`): an event a detector raises on is
retried from the group's state at the start of the micro-batch, then goes out as a `dead_letter`
row and the group goes on without it. A restarted
query resumes from its checkpoint with every room's and tenant's state: `tests/test_spark_stream.py`
stops Spark between two runs and compares the findings with an uninterrupted scan.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import msgspec
import pandas as pd
from pyspark.sql.datasource import DataSource, DataSourceStreamReader, InputPartition
from pyspark.sql.streaming.stateful_processor import StatefulProcessor, StatefulProcessorHandle
from pyspark.sql.types import BinaryType, StructField, StructType

from clearlive.model.events import Event, EventBase
from clearlive.model.findings import Finding
from clearlive.pipeline.scan import ScanConfig, Scanner
from clearlive.service.redis_transport import stream_key
from clearlive.service.worker_core import DeadLetter, Retry, WorkerCore, detect_each

EVENT_SCHEMA = "tenant string, room_id string, ts long, entry_ms long, entry_n long, event string"
# `kind` is "finding" (`record`: the finding) or "dead_letter" (`finding_id`: the event's id;
# `record`: the `DeadLetter`, see clearlive.service.worker_core)
FINDING_SCHEMA = "tenant string, room_id string, finding_id string, record string, kind string"
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


class _PartScanner(StatefulProcessor):
    """A group's share of the scanner (`part`), its state in Spark's state store between
    micro-batches; the group is a room ("rooms") or a tenant ("cross")."""

    part = "rooms"

    def init(self, handle: StatefulProcessorHandle) -> None:
        self.state = handle.getValueState("scanner", StructType([StructField("blob", BinaryType())]))
        self.scanner = Scanner.from_config(ScanConfig(), part=self.part)  # every detector, as elsewhere
        self.blank = pickle.dumps(self.scanner.state())  # detectors as built: no room, no cross-room memory

    def handleInputRows(self, key: Any, rows: Iterator[pd.DataFrame], timerValues: Any) -> Iterator[pd.DataFrame]:
        tenant = key[0]
        self.scanner.tenant = tenant
        # this group's own state, saved by us; else the detectors as built
        saved = self.state.get() if self.state.exists() else None
        start = saved[0] if saved is not None else self.blank
        batch = pd.concat(list(rows)).sort_values(["entry_ms", "entry_n"], kind="stable")
        # The worker core's error policy, with the micro-batch's start as the checkpoint: a detector
        # that raises on an event sends the group back to that state, and after the core's last
        # attempt the event is a dead letter and the rest of the group's batch goes on without it.
        sink = _Rows()
        core = WorkerCore(sink, store_events=False)
        while True:
            self.scanner.restore(pickle.loads(start))
            sink.found.clear()
            try:
                core.process(
                    _Each(self.scanner),
                    tenant,
                    [_decode(raw.encode()) for raw in batch["event"]],
                    lane=f"spark-{self.part}",
                )
                break
            except Retry:
                continue
        out = [(tenant, f.room_id, f.id, _encode(f).decode(), "finding") for f in sink.found]
        out += [(d.tenant, d.room_id, d.event_id, _encode(d).decode(), "dead_letter") for d in sink.letters]
        if self.scanner.rooms or self.part == "cross":
            self.state.update((pickle.dumps(self.scanner.state()),))
        else:
            self.state.clear()  # the room ended: nothing of it is kept
        yield pd.DataFrame(out, columns=["tenant", "room_id", "finding_id", "record", "kind"])

    def close(self) -> None:
        pass


class _Each:
    """A scanner as the worker core drives it (one tenant's: the group's)."""

    def __init__(self, scanner: Scanner) -> None:
        self.scanner = scanner

    def process(self, tenant: str, events: Iterable[EventBase]) -> list[Finding]:
        return detect_each(self.scanner, list(events))


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
    """One room's per-room detectors and lifecycle."""

    part = "rooms"


class TenantScanner(_PartScanner):
    """One tenant's cross-room detectors over all its rooms."""

    part = "cross"


def spark_session(app: str = "clearlive-stream") -> Any:
    from pyspark.sql import SparkSession

    # Spark's Python workers must run this interpreter (with ClearLive installed), not PATH's python3.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

    spark = (
        SparkSession.builder.master("local[2]")
        .appName(app)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config(
            "spark.sql.streaming.stateStore.providerClass",
            "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider",
        )
        .getOrCreate()
    )
    spark.dataSource.register(RedisShardsSource)
    return spark


def findings_stream(spark: Any, redis_url: str, shards: int) -> Any:
    """The streaming DataFrame of findings (FINDING_SCHEMA) over the service's Redis lanes: the
    per-room part grouped by room, and the cross-room part grouped by tenant."""

    def lanes(which: str) -> Any:
        reader = spark.readStream.format("clearlive_redis").option("url", redis_url).option("shards", shards)
        return reader.option("lanes", which).load()

    rooms = (
        lanes("rooms")
        .groupBy("tenant", "room_id")
        .transformWithStateInPandas(
            statefulProcessor=RoomScanner(), outputStructType=FINDING_SCHEMA, outputMode="Append", timeMode="None"
        )
    )
    tenants = (
        lanes("tenants")
        .groupBy("tenant")
        .transformWithStateInPandas(
            statefulProcessor=TenantScanner(), outputStructType=FINDING_SCHEMA, outputMode="Append", timeMode="None"
        )
    )
    return rooms.unionByName(tenants)


def run_available(spark: Any, redis_url: str, shards: int, checkpoint: str, sink: Any) -> None:
    """Process everything in the shards now (trigger availableNow) and stop; `sink(rows)` gets each
    micro-batch's finding rows. Run it again later with the same checkpoint to continue."""
    query = (
        findings_stream(spark, redis_url, shards)
        .writeStream.outputMode("append")
        .foreachBatch(lambda batch, _: sink([r.asDict() for r in batch.collect()]))
        .option("checkpointLocation", checkpoint)
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
