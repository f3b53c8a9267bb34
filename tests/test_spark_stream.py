"""The detectors in Spark Structured Streaming over the service's Redis lanes: state and findings
survive a restart of Spark (local mode) from its checkpoint.

Needs Redis (CLEARLIVE_TEST_SPARK_REDIS, else CLEARLIVE_TEST_REDIS, else 127.0.0.1:6379/12: that
database is flushed and must be this run's alone), PySpark and Java 17; skipped without them. About
40 s, most of it two Spark sessions starting."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import msgspec
import pytest

pytest.importorskip("pyspark")
redis = pytest.importorskip("redis")
# The database of the Redis tests when no Spark one is named: two runs of this file on one database
# (two suites at once on a shared machine) flush and refill each other's lanes between a Spark run
# and its restart, and the restart reads the other run's copy of the events as new ones
REDIS_URL = os.environ.get(
    "CLEARLIVE_TEST_SPARK_REDIS", os.environ.get("CLEARLIVE_TEST_REDIS", "redis://127.0.0.1:6379/12")
)
SHARDS = 2


def _lane_entries() -> list[bytes]:
    """The entry ids in the tenants' lanes: what Spark's checkpoint holds offsets into."""
    from clearlive.serve.redis_transport import stream_key

    r = redis.Redis.from_url(REDIS_URL)
    return [entry for s in range(SHARDS) for entry, _ in r.xrange(stream_key(f"t{s}"))]


def _lanes_untouched(first: list[bytes], n: int) -> None:
    """No other process flushed or wrote the lanes during the test (else its findings mean nothing)."""
    now = _lane_entries()
    assert len(now) == n and set(first) <= set(now), (
        f"another process wrote to {REDIS_URL} during the test: "
        "set CLEARLIVE_TEST_SPARK_REDIS to a database of your own"
    )


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
    from clearlive.serve.redis_transport import RedisSubmitter
    from clearlive.serve.spark_stream import run_available, spark_session
    from clearlive.watch.scan.scanner import ScanConfig, Scanner
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
    first_entries = _lane_entries()
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
    _lanes_untouched(first_entries, len(events))
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
    from clearlive.serve.redis_transport import RedisSubmitter
    from clearlive.serve.spark_stream import run_available, spark_session
    from clearlive.watch.scan.scanner import ScanConfig, Scanner
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


def test_a_room_whose_feed_just_stops_ends_on_the_tenant_clock_in_spark(tmp_path: Path) -> None:
    """A room with claims before its listing and no `session_end`: the tenant's other rooms move the
    clock an idle hour on, and Spark ends it at the same event as an uninterrupted scan (its
    end-of-room findings come out, its bucket's state is dropped)."""
    from clearlive.serve.redis_transport import RedisSubmitter
    from clearlive.serve.spark_stream import run_available, spark_session
    from clearlive.watch.scan.lifecycle import IDLE_MS
    from clearlive.watch.scan.scanner import ScanConfig, Scanner
    from tests.test_lifecycle import _ev, early_claims_room
    from tests.test_service_redis import _events

    demo = [e for e in _events(tmp_path) if e.room_id == "room-serum"]
    t0 = min(int(e.ts) for e in demo)  # type: ignore[arg-type]
    stops = early_claims_room(t0 + 60_000, room="room-stops")[:-1]  # the feed just stops
    last = max(int(e.ts) for e in [*demo, *stops])  # type: ignore[arg-type]
    later = {"room_id": "room-later", "session_id": "later-s1"}
    tail = [
        _ev(type="room_stats", ts=last + IDLE_MS + k * 60_000, id=f"later-{k}", online=40, **later) for k in range(1, 4)
    ]
    events = sorted([*demo, *stops], key=lambda e: (e.ts, e.id)) + tail
    scanner = Scanner.from_config(ScanConfig(), tenant="acme")
    found = [f for ev in events for f in scanner.process(ev.__copy__())]
    assert ("room-stops", "facts.price.reference_above_lowest") in {(f.room_id, f.rule_id) for f in found}
    assert "room-stops" not in scanner.rooms

    redis.Redis.from_url(REDIS_URL).flushdb()
    submitter = RedisSubmitter(REDIS_URL, SHARDS)
    got: list[dict] = []
    checkpoint = str(tmp_path / "checkpoint")
    submitter.submit("acme", [e.__copy__() for e in events[: len(events) - len(tail)]])
    first_entries = _lane_entries()
    spark = spark_session()
    try:
        run_available(spark, REDIS_URL, SHARDS, checkpoint, got.extend, buckets=3)
        assert "room-stops" not in {r["room_id"] for r in got if "reference_above" in r["record"]}  # not yet
        submitter.submit("acme", tail)  # only another room's events come: the tenant's clock moves on
        run_available(spark, REDIS_URL, SHARDS, checkpoint, got.extend, buckets=3)
    finally:
        spark.stop()
    _lanes_untouched(first_entries, len(events))
    ids = [r["finding_id"] for r in got]
    assert len(ids) == len(set(ids))
    assert set(ids) == {f.id for f in found}


def test_a_bucket_keeps_no_state_once_its_rooms_ended() -> None:
    import pandas as pd

    from clearlive.serve.spark_stream import group_state, scan_rows
    from clearlive.watch.scan.lifecycle import IDLE_MS
    from clearlive.watch.scan.scanner import ScanConfig, Scanner
    from tests.test_lifecycle import early_claims_room

    t0 = 1_793_534_400_000
    events = early_claims_room(t0)[:-1]
    scanner = Scanner.from_config(ScanConfig(claims_model=None), tenant="acme", part="rooms")
    rows = pd.DataFrame(
        {
            "entry_ms": range(len(events) + 1),
            "entry_n": 0,
            "ts": [int(e.ts) for e in events] + [int(events[-1].ts) + IDLE_MS + 60_000],  # type: ignore[arg-type]
            "event": [msgspec.json.encode(e).decode() for e in events] + [None],  # the last: another bucket's tick
        }
    )
    first = scan_rows(scanner, rows.iloc[:-1])
    assert group_state(scanner) is not None  # the room is live
    assert "reference_above" not in "".join(r[3] for r in first)
    end = scan_rows(scanner, rows.iloc[-1:])
    assert any("facts.price.reference_above_lowest" in r[3] for r in end)
    assert group_state(scanner) is None
