"""The per-room detectors inside Spark Structured Streaming, reading the service's Redis shards.

For a platform that already runs Spark: a Python streaming data source reads the Redis streams the
service front writes (`clearlive:events:<shard>`, offsets tracked by Spark's checkpoint, not by a
consumer group), events are grouped by (tenant, room), and `transformWithStateInPandas` runs the same
`Scanner` over each room's new events with that room's detector state restored from Spark's state
store (a pickled `RoomState` and session tracker per room). Findings go out as rows; the sink here
stores them in the service store, idempotently. A restarted query resumes from its checkpoint with
every room's state: `tests/test_spark_stream.py` stops Spark between two runs and compares the
findings with an uninterrupted scan.

Only per-room detectors run here: the cross-room ones (fan raids, lockstep accounts, FRAUDAR) need
every room at once and belong in the batch scan (`clearlive scan`) or the Redis workers.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Iterator
from typing import Any

import msgspec
import pandas as pd
from pyspark.sql.datasource import DataSource, DataSourceStreamReader, InputPartition
from pyspark.sql.streaming.stateful_processor import StatefulProcessor, StatefulProcessorHandle
from pyspark.sql.types import BinaryType, StructField, StructType

from clearlive.model.events import Event
from clearlive.pipeline.scan import ScanConfig, Scanner
from clearlive.service.redis_transport import stream_key

EVENT_SCHEMA = "tenant string, room_id string, ts long, event string"
FINDING_SCHEMA = "tenant string, room_id string, finding_id string, record string"
_decode = msgspec.json.Decoder(Event).decode
_encode = msgspec.json.Encoder().encode


class _Shard(InputPartition):
    def __init__(self, key: str, start: str, end: str) -> None:
        self.key, self.start, self.end = key, start, end


class RedisShardsReader(DataSourceStreamReader):
    def __init__(self, options: dict[str, str]) -> None:
        self.url = options.get("url", "redis://127.0.0.1:6379/0")
        self.shards = int(options.get("shards", "4"))

    def _redis(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url)

    def initialOffset(self) -> dict[str, str]:
        return {stream_key(s): "0-0" for s in range(self.shards)}

    def latestOffset(self) -> dict[str, str]:
        r = self._redis()
        out = {}
        for s in range(self.shards):
            last = r.xrevrange(stream_key(s), count=1)
            out[stream_key(s)] = last[0][0].decode() if last else "0-0"
        return out

    def partitions(self, start: dict[str, str], end: dict[str, str]) -> list[_Shard]:
        return [_Shard(k, start.get(k, "0-0"), end[k]) for k in end if end[k] != start.get(k, "0-0")]

    def read(self, partition: _Shard) -> Iterator[tuple[str, str, int, str]]:
        r = self._redis()
        for _, fields in r.xrange(partition.key, min="(" + partition.start, max=partition.end):
            ev = _decode(fields[b"e"])
            yield fields[b"t"].decode(), ev.room_id, int(ev.ts), fields[b"e"].decode()  # type: ignore[arg-type]

    def commit(self, end: dict[str, str]) -> None:
        """Entries stay in Redis: the service's own workers or a retention policy trim them."""


class RedisShardsSource(DataSource):
    @classmethod
    def name(cls) -> str:
        return "clearlive_redis"

    def schema(self) -> str:
        return EVENT_SCHEMA

    def streamReader(self, schema: Any) -> RedisShardsReader:
        return RedisShardsReader(self.options)


class RoomScanner(StatefulProcessor):
    """One room's detectors, with the room's state in Spark's state store between micro-batches."""

    def init(self, handle: StatefulProcessorHandle) -> None:
        self.state = handle.getValueState("room", StructType([StructField("blob", BinaryType())]))
        self.scanner = Scanner.from_config(ScanConfig(claims_model=None))
        self.blank = pickle.dumps(self.scanner.state())  # detectors as built: no room, no cross-room memory

    def handleInputRows(self, key: Any, rows: Iterator[pd.DataFrame], timerValues: Any) -> Iterator[pd.DataFrame]:
        tenant, room_id = key
        self.scanner.restore(pickle.loads(self.blank))
        if self.state.exists():
            saved = pickle.loads(self.state.get()[0])  # this room's own state, saved by us
            self.scanner.rooms = {room_id: saved["room"]}
            self.scanner.sessions = saved["sessions"]
        batch = pd.concat(list(rows)).sort_values(["ts"], kind="stable")
        out = []
        for raw in batch["event"]:
            for f in self.scanner.process(_decode(raw.encode())):
                out.append((tenant, room_id, f.id, _encode(f).decode()))
        room = self.scanner.rooms.get(room_id)
        self.state.update((pickle.dumps({"room": room, "sessions": self.scanner.sessions}),))
        yield pd.DataFrame(out, columns=["tenant", "room_id", "finding_id", "record"])

    def close(self) -> None:
        pass


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
    """The streaming DataFrame of findings (FINDING_SCHEMA) over the service's Redis shards."""
    events = spark.readStream.format("clearlive_redis").option("url", redis_url).option("shards", shards).load()
    return events.groupBy("tenant", "room_id").transformWithStateInPandas(
        statefulProcessor=RoomScanner(), outputStructType=FINDING_SCHEMA, outputMode="Append", timeMode="None"
    )


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
