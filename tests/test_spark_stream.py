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


def test_a_poisoned_event_is_a_dead_letter_and_the_other_rooms_go_on(tmp_path: Path) -> None:
    """The worker core's policy in Spark (issue #18 item 2): an event whose time no detector can
    format (10**15 ms: year 33658, written to Redis past the front's checks) is retried from the
    group's state, then comes out as a dead_letter row with its error; another tenant's room gives
    exactly the findings of an uninterrupted scan, and the query finishes."""
    import msgspec

    from clearlive.model.events import Event
    from clearlive.pipeline.scan import ScanConfig, Scanner
    from clearlive.service.redis_transport import RedisSubmitter
    from clearlive.service.spark_stream import run_available, spark_session
    from tests.test_service_redis import _events

    events = [e for e in _events(tmp_path) if e.room_id == "room-serum"]
    scanner = Scanner.from_config(ScanConfig(), tenant="acme")
    expected = {f.id for ev in events for f in scanner.process(ev.__copy__())}
    assert len(expected) > 20
    poison_rows = [
        {"type": "session_start", "room_id": "r-far", "ts": "2026-11-01T12:00:00Z", "session_id": "s", "id": "m-0"},
        {
            "type": "comment",
            "room_id": "r-far",
            "ts": 10**15,
            "user_id": "u",
            "text": "加我微信 abc12345 领优惠",
            "id": "m-1",
        },
        {
            "type": "comment",
            "room_id": "r-far",
            "ts": "2026-11-01T12:00:09Z",
            "user_id": "u",
            "text": "加我微信 abc12345",
            "id": "m-2",
        },
    ]
    poison = [msgspec.json.decode(msgspec.json.encode(r), type=Event) for r in poison_rows]

    redis.Redis.from_url(REDIS_URL).flushdb()
    submitter = RedisSubmitter(REDIS_URL, SHARDS)
    submitter.submit("mallory", poison)
    submitter.submit("acme", events)
    got: list[dict] = []
    spark = spark_session()
    try:
        run_available(spark, REDIS_URL, SHARDS, str(tmp_path / "checkpoint"), got.extend)
    finally:
        spark.stop()
    found = [r for r in got if r["kind"] == "finding"]
    assert {r["finding_id"] for r in found if r["tenant"] == "acme"} == expected
    letters = [r for r in got if r["kind"] == "dead_letter"]
    assert letters and {(r["tenant"], r["finding_id"]) for r in letters} == {("mallory", "m-1")}
    room_letter = next(msgspec.json.decode(r["record"]) for r in letters if "rooms" in r["record"])
    assert room_letter["stage"] == "detect" and room_letter["attempts"] == 3
    assert "year 33658 is out of range" in room_letter["error"]
    # the poisoned room's next line still gives its finding
    assert any(r["tenant"] == "mallory" and "m-2" in r["record"] for r in found)
