"""The detectors in Spark Structured Streaming over the service's Redis lanes: state and findings
survive a restart of Spark (local mode) from its checkpoint.

Needs Redis on 127.0.0.1:6379 (logical database 12 is flushed), PySpark and Java 17; skipped
without them. About 40 s, most of it two Spark sessions starting."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytest.importorskip("pyspark")
redis = pytest.importorskip("redis")
REDIS_URL = os.environ.get("CLEARLIVE_TEST_SPARK_REDIS", "redis://127.0.0.1:6379/12")
SHARDS = 2


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(
    not _redis_up() or (shutil.which("java") is None and not os.environ.get("JAVA_HOME")),
    reason="needs Redis and Java 17",
)


def test_room_state_and_findings_survive_a_spark_restart(tmp_path: Path) -> None:
    from clearlive.pipeline.scan import ScanConfig, Scanner
    from clearlive.service.redis_transport import RedisSubmitter
    from clearlive.service.spark_stream import run_available, spark_session
    from tests.test_service_redis import _events

    events = [e for e in _events(tmp_path) if e.room_id in ("room-serum", "room-glow")]
    scanner = Scanner.from_config(ScanConfig(), tenant="acme")  # an uninterrupted scan of the tenant
    expected = {f.id for ev in events for f in scanner.process(ev.__copy__())}
    assert len(expected) > 50

    redis.Redis.from_url(REDIS_URL).flushdb()
    submitter = RedisSubmitter(REDIS_URL, SHARDS)
    cut = len(events) * 3 // 5
    got: list[dict] = []
    checkpoint = str(tmp_path / "checkpoint")
    submitter.submit("acme", events[:cut])
    spark = spark_session()
    try:
        run_available(spark, REDIS_URL, SHARDS, checkpoint, got.extend)
    finally:
        spark.stop()
    first_run = len(got)
    assert 0 < first_run < len(expected)
    submitter.submit("acme", events[cut:])  # more events arrive while Spark is down
    spark = spark_session()
    try:
        run_available(spark, REDIS_URL, SHARDS, checkpoint, got.extend)
    finally:
        spark.stop()
    ids = [r["finding_id"] for r in got]
    assert len(ids) == len(set(ids))  # nothing found twice
    assert set(ids) == expected  # and nothing lost: the rooms' state came back from the checkpoint
    assert {r["tenant"] for r in got} == {"acme"}
