"""The worker core's error policy in the Redis workers (issue #18 item 2): a poisoned event does not
crash-loop the worker that owns its shard. It is retried from the checkpoint a bounded number of
times, then moved to the dead letters (PostgreSQL, with its error); every other room of every tenant
gets its findings, the streams are all acknowledged, and /api/v1/health says "degraded".

Needs Redis (logical database 15 is flushed) and PostgreSQL, as tests/test_service_redis.py."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from fastapi.testclient import TestClient

from tests.test_service_postgres import _server_up as pg_up
from tests.test_service_postgres import pg_url  # noqa: F401  (fixture)
from tests.test_service_redis import REDIS_URL, SHARDS, _redis_up, lanes
from tests.test_worker_core import POISON, clean, poisoned, rooms  # noqa: F401  (fixture)

redis = pytest.importorskip("redis")
pytestmark = pytest.mark.skipif(not (_redis_up() and pg_up()), reason="needs Redis and PostgreSQL")


def _events(rows: list[dict], tag: str) -> list:
    from clearlive.model.events import Event

    return [msgspec.json.decode(msgspec.json.encode({**r, "id": f"{tag}-{n}"}), type=Event) for n, r in enumerate(rows)]


def test_a_poisoned_event_is_dead_lettered_and_the_worker_goes_on(poisoned: None, pg_url: str) -> None:  # noqa: F811
    from clearlive.serve.app import create_app
    from clearlive.serve.embedded import TenantScanners
    from clearlive.serve.redis_transport import RedisSubmitter, ShardWorker, shard_of, stream_key
    from clearlive.serve.store import open_store

    r = redis.Redis.from_url(REDIS_URL)
    r.flushdb()
    store = open_store(pg_url)
    acme, other = _events(rooms("room-a"), "a"), _events(clean(rooms("room-b")), "b")
    # what an uninterrupted run of the same detectors gives without the poisoned line
    unpoisoned = [e for e in _events(rooms("room-a"), "a") if getattr(e, "text", None) != POISON]
    want_acme = {f.id for f in TenantScanners().process("acme", unpoisoned)}
    want_other = {f.id for f in TenantScanners().process("other", _events(clean(rooms("room-b")), "b"))}
    assert len(want_acme) >= 5 and len(want_other) >= 5

    submitter = RedisSubmitter(REDIS_URL, SHARDS)
    submitter.submit("acme", acme)
    submitter.submit("other", other)
    r.xadd(stream_key(shard_of("room-c", SHARDS)), {"t": "acme", "e": b'{"type": "comment", "ts": '})  # not an event
    worker = ShardWorker(REDIS_URL, store, list(range(SHARDS)))
    try:
        worker.run(idle_exit_s=2.0)  # returns when every lane is processed and acknowledged
        found = {
            t: {row[0] for row in store.db.query("SELECT id FROM findings WHERE tenant = ?", [t])}
            for t in ("acme", "other")
        }
        assert found == {"acme": want_acme, "other": want_other}
        for lane in lanes():
            assert r.xlen(stream_key(lane)) == 0
            assert r.xpending(stream_key(lane), "clearlive")["pending"] == 0

        letters = store.dead_letters()
        by_stage = {d["stage"]: d for d in letters}
        assert sorted(by_stage) == ["decode", "detect"] and len(letters) == 2
        detect = by_stage["detect"]
        assert (detect["tenant"], detect["room_id"], detect["event_id"], detect["attempts"]) == (
            "acme",
            "room-a",
            "a-3",
            3,
        )
        assert detect["lane"] == str(shard_of("room-a", SHARDS))
        assert "OverflowError" in detect["error"]
        assert msgspec.json.decode(detect["payload"])["text"] == POISON
        assert by_stage["decode"]["payload"].startswith('{"type": "comment"')
        # the poisoned event is stored as received (it was accepted), once
        assert store.db.query("SELECT count(*) FROM events WHERE id = 'a-3'")[0][0] == 1

        health = TestClient(create_app(store, submitter, {})).get("/api/v1/health").json()
        assert health["status"] == "degraded"
        assert health["dead_letters"] == {"total": 2, "by_stage": {"decode": 1, "detect": 1}}
    finally:
        store.db.close()


def test_a_real_poison_does_not_crash_loop_a_worker_process(tmp_path: Path, pg_url: str) -> None:  # noqa: F811
    """Issue #18's case: an event stamped 10**15 ms in a shard (written before the door checked
    times). Today's worker died on it and restarted in a loop; now the worker process stays up,
    dead-letters it and ends (idle) with every lane acknowledged and the other tenant's findings."""
    from clearlive.model.events import Event
    from clearlive.serve.embedded import TenantScanners
    from clearlive.serve.redis_transport import RedisSubmitter, stream_key
    from clearlive.serve.store import open_store
    from tests.test_service_redis import _worker
    from tests.test_worker_core import far_room

    r = redis.Redis.from_url(REDIS_URL)
    r.flushdb()
    store = open_store(pg_url)
    poison = [msgspec.json.decode(msgspec.json.encode(x), type=Event) for x in far_room("room-far")]
    other = _events(clean(rooms("room-b")), "b")
    want_other = {f.id for f in TenantScanners().process("other", _events(clean(rooms("room-b")), "b"))}
    submitter = RedisSubmitter(REDIS_URL, SHARDS)
    submitter.submit("mallory", poison)
    submitter.submit("other", other)
    worker = _worker(pg_url, idle_exit_s=3.0)
    try:
        assert worker.wait(timeout=300) == 0  # it ran to its idle exit: it never died
    finally:
        if worker.poll() is None:
            worker.kill()
    try:
        got = {row[0] for row in store.db.query("SELECT id FROM findings WHERE tenant = 'other'")}
        assert got == want_other
        letters = [d for d in store.dead_letters() if d["stage"] == "detect"]
        assert {(d["tenant"], d["event_id"]) for d in letters} == {("mallory", "room-far-1")}
        assert all("year 33658 is out of range" in d["error"] for d in letters)
        mallory = [row[0] for row in store.db.query("SELECT record FROM findings WHERE tenant = 'mallory'")]
        assert any("room-far-2" in rec for rec in mallory)  # the room's next line still gives its finding
        for lane in lanes():
            assert r.xpending(stream_key(lane), "clearlive")["pending"] == 0
    finally:
        store.db.close()
