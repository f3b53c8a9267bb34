"""`clearlive serve` stopped the way a process manager stops it (SIGTERM): it shuts down in order.

uvicorn re-raises the SIGTERM it handled once it has shut down, and with the default handler the
process ended on the spot: the embedded pipeline's last checkpoint was never written, and in Redis
mode the worker processes outlived the service (a soak started after one found two workers per shard).

The Redis test needs Redis on 127.0.0.1:6379 (logical database 15) and PostgreSQL on 127.0.0.1:5432;
.ci/run checks both are up. Skipped when either does not answer.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.serve_process import create_key, start_serve
from tests.test_service import ROOM, ndjson
from tests.test_service_postgres import _server_up as pg_up
from tests.test_service_postgres import (
    pg_url,  # noqa: F401  (fixture)
    psycopg,
)
from tests.test_service_redis import REDIS_URL, _redis_up


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def test_sigterm_writes_the_last_checkpoint(tmp_path: Path) -> None:
    """Events accepted just before SIGTERM are processed and covered by a checkpoint before the
    process ends: the next start has nothing to replay."""
    from clearlive.serve.store import open_store

    db = str(tmp_path / "svc.duckdb")
    key = create_key(db, "ingest", "acme")
    proc, base = start_serve(tmp_path, db)
    r = httpx.post(f"{base}/api/v1/events", content=ndjson(ROOM), headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 202
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    store = open_store(db)
    try:
        assert store.pending_events() == []
        assert len(store.findings("acme")) >= 3
    finally:
        store.db.close()


@pytest.mark.skipif(not (_redis_up() and pg_up()), reason="needs Redis and PostgreSQL")
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_worker_processes_end_with_the_service(tmp_path: Path, pg_url: str, how: signal.Signals) -> None:  # noqa: F811
    """Stopped (SIGTERM) or killed outright (SIGKILL, which runs no shutdown code: the worker
    processes learn of it from Linux, PR_SET_PDEATHSIG), the service leaves no worker running."""
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    proc, _ = start_serve(tmp_path, pg_url, "--redis", REDIS_URL, "--workers", "2", "--shards", "2")
    deadline = time.monotonic() + 60
    while len(workers := [c for c in _children(proc.pid) if "multiprocessing.spawn" in _cmdline(c)]) < 2:
        assert time.monotonic() < deadline, "worker processes did not start"
        time.sleep(0.2)
    proc.send_signal(how)
    assert proc.wait(timeout=60) == (0 if how == signal.SIGTERM else -signal.SIGKILL)
    deadline = time.monotonic() + 30
    while alive := [w for w in workers if _alive(w)]:
        assert time.monotonic() < deadline, f"worker processes {alive} outlived the service"
        time.sleep(0.2)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.skipif(not (_redis_up() and pg_up()), reason="needs Redis and PostgreSQL")
def test_service_mode_restarted_mid_stream(tmp_path: Path, pg_url: str) -> None:  # noqa: F811
    """`clearlive serve --redis` stopped half-way through three demo rooms and started again: the
    findings are exactly those of an uninterrupted run, none twice, nothing left pending. (The
    restarted workers find the leases released and the checkpoints written by the stopped ones.)"""
    import msgspec
    import redis

    from tests.test_service_redis import SHARDS, _events, _expected
    from tests.test_service_redis_restart import drain_and_stop

    r = redis.Redis.from_url(REDIS_URL)
    r.flushdb()
    events = _events(tmp_path)
    expected = _expected(events)
    key = create_key(pg_url, "ingest", "acme")
    half = len(events) // 2
    args = ("--redis", REDIS_URL, "--workers", "2", "--shards", str(SHARDS))
    for part in (events[:half], events[half:]):
        proc, base = start_serve(tmp_path, pg_url, *args)
        with httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
            for i in range(0, len(part), 500):
                body = b"\n".join(msgspec.json.encode(e) for e in part[i : i + 500])
                assert http.post(f"{base}/api/v1/events", content=body).status_code == 202
        proc.send_signal(signal.SIGTERM)  # with entries still pending: the next start takes them
        assert proc.wait(timeout=60) == 0
    proc, base = start_serve(tmp_path, pg_url, *args)  # to work off what the second stop left
    try:
        drain_and_stop(r, proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    with psycopg.connect(pg_url) as con:
        ids = [row[0] for row in con.execute("SELECT id FROM findings WHERE tenant = 'acme'")]
        stored = con.execute("SELECT count(*) FROM events")
        assert stored.fetchone()[0] == len({e.id for e in events})
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == expected


def test_sigterm_with_an_alert_stream_open(tmp_path: Path) -> None:
    """A dashboard tab holds an alert stream open; SIGTERM still stops the service: the stream ends
    (so uvicorn, which waits for responses in progress, is not kept waiting for the browser) and
    the process exits. Before, it waited until the client hung up, and a restart in that window
    failed on the database lock."""
    import threading

    db = str(tmp_path / "svc.duckdb")
    key = create_key(db, "reviewer", "acme")
    proc, base = start_serve(tmp_path, db)
    opened, ended = threading.Event(), threading.Event()

    def listen() -> None:
        with httpx.stream("GET", f"{base}/api/v1/alerts", headers={"Authorization": f"Bearer {key}"}) as r:
            for _ in r.iter_bytes():
                opened.set()
        ended.set()

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert opened.wait(30)
    proc.send_signal(signal.SIGTERM)
    assert ended.wait(10), "the alert stream stayed open after SIGTERM"
    assert proc.wait(timeout=30) == 0
    restarted, _ = start_serve(tmp_path, db)  # the database lock is free again
    restarted.terminate()
    assert restarted.wait(timeout=30) == 0
