"""Service mode across processes: Redis Streams to a detector worker, PostgreSQL behind both. A
worker killed with SIGKILL mid-stream and started again loses nothing and duplicates nothing: the
findings are exactly those of an uninterrupted run.

Needs Redis on 127.0.0.1:6379 (logical database 15 is flushed) and PostgreSQL on 127.0.0.1:5432;
.ci/run checks both are up. Skipped when either does not answer.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_service_postgres import _server_up as pg_up
from tests.test_service_postgres import pg_url  # noqa: F401  (fixture)

redis = pytest.importorskip("redis")
REDIS_URL = os.environ.get("CLEARLIVE_TEST_REDIS", "redis://127.0.0.1:6379/15")
DEMO_ROOMS = ("room-serum.jsonl", "room-glow.jsonl", "room-cup.jsonl")


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(not (_redis_up() and pg_up()), reason="needs Redis and PostgreSQL")
SHARDS = 2


def lanes() -> list[str]:
    """Every stream the workers read: the room shards and the tenant lanes."""
    from clearlive.serve.redis_transport import lanes_of

    return lanes_of(list(range(SHARDS)))


def _events(tmp_path: Path) -> list:
    from clearlive.demo.generate import generate
    from clearlive.watch.sources import InputOptions, ReadStats, RejectSink, read_inputs

    inputs = [i for i in generate(tmp_path / "demo") if i.path.name in DEMO_ROOMS]
    events = []
    for item in inputs:
        opts = InputOptions(room_id=item.room_id, session_id=item.session_id, anchor_id=item.anchor_id)
        events.extend(read_inputs([str(item.path)], opts, RejectSink(None), ReadStats()))
    events.sort(key=lambda e: (e.ts, e.id))
    return events


def _expected(events: list) -> set[str]:
    """An uninterrupted run: one scanner for the tenant, as the embedded service has (the workers'
    room lanes and tenant lane together report the same)."""
    from clearlive.serve.embedded import TenantScanners

    return {f.id for f in TenantScanners().process("acme", [e.__copy__() for e in events])}


def _all_submitted(tmp_path: Path, pg: str) -> tuple:
    """A flushed Redis with every demo event submitted, a fresh store, and the expected findings."""
    from clearlive.serve.redis_transport import RedisSubmitter
    from clearlive.serve.store import open_store

    r = redis.Redis.from_url(REDIS_URL)
    r.flushdb()
    store = open_store(pg)
    events = _events(tmp_path)
    RedisSubmitter(REDIS_URL, SHARDS).submit("acme", events)
    return r, store, events, _expected(events)


def _worker(pg: str, idle_exit_s: float | None = None) -> subprocess.Popen:
    """`clearlive worker` over every shard; with `idle_exit_s`, a drain job (`--exit-when-idle`)."""
    shards = ",".join(str(s) for s in range(SHARDS))
    args = [sys.executable, "-m", "clearlive", "worker", "--redis", REDIS_URL, "--db", pg, "--shards", shards]
    if idle_exit_s is not None:
        args += ["--exit-when-idle", str(idle_exit_s)]
    return subprocess.Popen(args, cwd=Path(__file__).parents[1])


def test_killed_worker_loses_and_duplicates_nothing(tmp_path: Path, pg_url: str) -> None:  # noqa: F811
    from clearlive.serve.redis_transport import RedisSubmitter, stream_key
    from clearlive.serve.store import open_store

    r = redis.Redis.from_url(REDIS_URL)
    r.flushdb()
    store = open_store(pg_url)  # migrates the fresh database
    events = _events(tmp_path)
    expected = _expected(events)
    assert len(expected) > 100
    submitter = RedisSubmitter(REDIS_URL, SHARDS)
    worker = _worker(pg_url)
    half = len(events) // 2
    try:
        for i in range(0, half, 400):
            submitter.submit("acme", events[i : min(i + 400, half)])
        deadline = time.monotonic() + 120
        while store.db.query("SELECT count(*) FROM events")[0][0] < half // 2:
            assert worker.poll() is None, "the worker died on its own"
            assert time.monotonic() < deadline, "the worker never got going"
            time.sleep(0.02)
        worker.send_signal(signal.SIGKILL)  # mid-stream: a quarter in, between checkpoints
        worker.wait()
        assert 0 < submitter.lag() < len(events), "the kill should leave work pending"
        for i in range(half, len(events), 400):
            submitter.submit("acme", events[i : i + 400])
        worker = _worker(pg_url, idle_exit_s=3.0)
        assert worker.wait(timeout=300) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    ids = {row[0] for row in store.db.query("SELECT id FROM findings")}
    assert store.db.query("SELECT count(*) FROM findings")[0][0] == len(expected)
    assert ids == expected
    assert store.db.query("SELECT count(*) FROM events")[0][0] == len({e.id for e in events})
    for s in lanes():
        assert r.xlen(stream_key(s)) == 0
        assert r.xpending(stream_key(s), "clearlive")["pending"] == 0
    store.db.close()


def test_worker_rides_out_a_database_outage(tmp_path: Path, pg_url: str) -> None:  # noqa: F811
    """PostgreSQL fails in the middle of a batch (the findings of events already run through the
    detectors are not stored): the worker waits, goes back to its last checkpoint, processes the
    pending entries again and ends with exactly the findings of an uninterrupted run."""
    import psycopg

    from clearlive.serve.redis_transport import ShardWorker

    r, store, _, expected = _all_submitted(tmp_path, pg_url)
    real = store.add_findings
    calls = {"n": 0}

    def flaky(tenant, findings):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] in (5, 6):  # two failures in a row, a few batches in
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        return real(tenant, findings)

    store.add_findings = flaky  # type: ignore[method-assign]
    worker = ShardWorker(REDIS_URL, store, list(range(SHARDS)), checkpoint_every_n=1000)
    worker.run(idle_exit_s=2.0)
    assert calls["n"] > 6
    assert {row[0] for row in store.db.query("SELECT id FROM findings")} == expected
    for s in lanes():
        assert r.xpending(f"clearlive:events:{s}", "clearlive")["pending"] == 0
    store.db.close()


def _exit_at_once() -> None:
    pass


def test_supervisor_restarts_dead_workers() -> None:
    import multiprocessing as mp
    import threading

    from clearlive.serve.redis_transport import supervise

    ctx = mp.get_context("spawn")
    started: list[int] = []

    def start(k: int):  # type: ignore[no-untyped-def]
        started.append(k)
        proc = ctx.Process(
            target=_exit_at_once if len(started) <= 2 else time.sleep, args=() if len(started) <= 2 else (30,)
        )
        proc.start()
        return proc

    procs = [start(0)]
    stop = threading.Event()
    t = threading.Thread(target=supervise, args=(procs, start, stop, 0.2), daemon=True)
    t.start()
    deadline = time.monotonic() + 30
    while len(started) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    t.join(5)
    assert started[:3] == [0, 0, 0]  # died twice, started again each time, with the same shard set
    assert procs[0].is_alive()
    procs[0].terminate()


def test_entries_delivered_and_lost_are_taken_back(tmp_path: Path, pg_url: str) -> None:  # noqa: F811
    """A batch delivered under this worker's consumer name and then lost (a second worker on the
    same shard read it and died: found by the Redis soak) stays pending; the worker notices entries
    pending for longer than a checkpoint would take, goes back to its checkpoint and processes them."""
    from clearlive.serve.redis_transport import ShardWorker, stream_key

    r, store, events, expected = _all_submitted(tmp_path, pg_url)
    worker = ShardWorker(REDIS_URL, store, list(range(SHARDS)), stranded_after_s=1.0)
    real = worker._process
    lost = {"n": 0}

    def loses_one_batch(shard, entries):  # type: ignore[no-untyped-def]
        if lost["n"] == 0 and shard == "0" and len(entries) > 100:
            lost["n"] = len(entries)
            return 0  # delivered, never processed nor acknowledged
        return real(shard, entries)

    worker._process = loses_one_batch  # type: ignore[method-assign]
    worker.run(idle_exit_s=4.0)
    assert lost["n"] > 100
    # every event processed and stored, nothing left pending; the lost batch comes after events
    # that followed it, so order-dependent detectors may see the room differently than in order
    assert store.db.query("SELECT count(*) FROM events")[0][0] == len({e.id for e in events})
    found = {row[0] for row in store.db.query("SELECT id FROM findings")}
    assert len(found & expected) >= 0.9 * len(expected)
    for s in lanes():
        assert r.xpending(stream_key(s), "clearlive")["pending"] == 0
    store.db.close()


def test_two_workers_given_the_same_shards_never_share_one(tmp_path: Path, pg_url: str) -> None:  # noqa: F811
    """Two workers started for the same shards (an operator's overlapping `clearlive worker
    --shards`, or a worker that outlived its service) must not split a shard's entries between them:
    each would judge half a room. A shard is leased to one worker at a time; the findings are
    exactly those of one uninterrupted worker."""
    r, store, events, expected = _all_submitted(tmp_path, pg_url)
    workers = [_worker(pg_url, idle_exit_s=4.0) for _ in range(2)]
    try:
        assert [w.wait(timeout=300) for w in workers] == [0, 0]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    assert {row[0] for row in store.db.query("SELECT id FROM findings")} == expected
    assert store.db.query("SELECT count(*) FROM events")[0][0] == len({e.id for e in events})
    for s in lanes():
        assert r.xpending(f"clearlive:events:{s}", "clearlive")["pending"] == 0
    store.db.close()


def test_a_worker_that_lost_its_lease_does_not_checkpoint(tmp_path: Path, pg_url: str) -> None:  # noqa: F811
    """A worker that stalled past its lease (and a successor took the shard) must neither
    overwrite the successor's checkpoint nor acknowledge entries the successor will redo."""
    from clearlive.serve.redis_transport import ShardWorker, checkpoint_key, lease_key, stream_key

    r, store, _, _ = _all_submitted(tmp_path, pg_url)
    worker = ShardWorker(REDIS_URL, store, [0])
    worker.keep_leases()
    assert worker.held == {"0", "t0"}  # room shard 0 and tenant lane 0
    resp = r.xreadgroup("clearlive", worker.consumer(0), {stream_key(0): ">"}, count=200)
    worker._process("0", resp[0][1])
    r.set(lease_key(0), "a successor")  # the lease ran out and another worker took it
    r.set(checkpoint_key(0), b"the successor's checkpoint")
    worker.checkpoint()
    assert worker.held == {"t0"} and "0" not in worker.states
    assert r.get(checkpoint_key(0)) == b"the successor's checkpoint"
    assert r.xpending(stream_key(0), "clearlive")["pending"] == 200
    worker.keep_leases()  # still the successor's: this worker waits
    assert worker.held == {"t0"} and worker.waiting == {"0"}
    store.db.close()


def test_a_dead_workers_lease_is_taken_at_once(tmp_path: Path, pg_url: str) -> None:  # noqa: F811
    """A worker restarted after its predecessor was killed takes the shard at once when that
    predecessor was a process of this machine that is gone; a live process's lease, or another
    machine's, it waits for."""
    from clearlive.serve.redis_transport import HOST, ShardWorker, lease_key

    r, store, _, _ = _all_submitted(tmp_path, pg_url)
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    try:
        for holder, taken in [
            (f"{HOST}|{alive.pid}|a", False),
            ("another machine/pid:[1]|1|b", False),
            (f"{HOST}|{dead.pid}|c", True),
        ]:
            r.set(lease_key(0), holder, px=60_000)
            worker = ShardWorker(REDIS_URL, store, [0])
            worker.keep_leases()
            assert ("0" in worker.held) is taken, holder
            assert r.get(lease_key(0)) == (worker.token if taken else holder).encode()
    finally:
        alive.kill()
    store.db.close()


def test_a_room_whose_feed_stops_ends_on_the_tenants_clock_in_its_shard(pg_url: str) -> None:  # noqa: F811
    """The host of room-early claims a reference price, an origin and scarcity before the listing,
    and then the feed just stops; the tenant's only other room is on the other shard and goes on for
    over an hour. Room-early's shard sees nothing more of its own, but the front's ticks carry the
    tenant's clock to it: the room ends there an hour later, its claims are judged against the
    listing, and the workers store exactly what the embedded service does."""
    from clearlive.serve.embedded import TenantScanners
    from clearlive.serve.redis_transport import RedisSubmitter, ShardWorker, shard_of, stream_key
    from clearlive.serve.store import open_store
    from tests.test_lifecycle import _ev, copies, early_claims_room

    t0 = 1_793_534_400_000
    assert shard_of("room-early", SHARDS) != shard_of("room-busy", SHARDS)
    early = early_claims_room(t0)[:-1]  # no session_end
    busy = [
        _ev(type="room_stats", ts=t0 + k * 60_000, id=f"busy-{k}", online=100 + k, room_id="room-busy")
        for k in range(100)  # 99 minutes: the tenant's clock passes room-early's idle hour
    ]
    events = sorted(early + busy, key=lambda e: (e.ts, e.id))
    want = TenantScanners().process("acme", copies(events))
    assert ("room-early", "facts.price.reference_above_lowest") in {(f.room_id, f.rule_id) for f in want}

    r = redis.Redis.from_url(REDIS_URL)
    r.flushdb()
    store = open_store(pg_url)
    submitter = RedisSubmitter(REDIS_URL, SHARDS)
    for i in range(0, len(events), 40):  # the front's batches, as a client would post them
        submitter.submit("acme", copies(events[i : i + 40]))
    worker = ShardWorker(REDIS_URL, store, list(range(SHARDS)))
    try:
        worker.run(idle_exit_s=2.0)
        rows = store.db.query("SELECT id, room_id, rule_id FROM findings WHERE tenant = ?", ["acme"])
        assert {row[0] for row in rows} == {f.id for f in want}
        assert ("room-early", "facts.origin.mismatch") in {(row[1], row[2]) for row in rows}
        assert "room-early" not in worker.states[str(shard_of("room-early", SHARDS))].scanners["acme"].rooms
        assert all(r.xlen(stream_key(lane)) == 0 for lane in lanes())  # the ticks are acknowledged too
    finally:
        store.db.close()
