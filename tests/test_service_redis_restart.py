"""Redis itself restarted (issue #8): a private redis-server with an append-only file, fsync'd on
every write, is killed with SIGKILL while a worker is half-way through the stream and started again
on the same port and files. Ingest answers 503 while it is down (nothing accepted, so the client's
retry is safe); the worker waits and carries on from its checkpoint; in the end the findings are
exactly those of an uninterrupted run, none twice, and nothing is left pending.

Needs the redis-server program (its own server on a free port, not the shared one) and PostgreSQL
on 127.0.0.1:5432; skipped when either is missing. Without persistence (`appendonly no`) a Redis
restart loses the stream itself; docs/reliability.md says to run Redis with AOF.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from tests.test_service_postgres import _server_up as pg_up
from tests.test_service_postgres import pg_url  # noqa: F401  (fixture)
from tests.test_service_redis import SHARDS, _events, _expected, lanes

redis = pytest.importorskip("redis")
pytestmark = pytest.mark.skipif(
    not (shutil.which("redis-server") and pg_up()), reason="needs the redis-server program and PostgreSQL"
)


class PrivateRedis:
    """A redis-server of the test's own, stopped and started at will on one port and one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder), "--save", ""]
        args += ["--appendonly", "yes", "--appendfsync", "always"]
        self.proc = subprocess.Popen(["redis-server", *args], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                if redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping():
                    if not redis.Redis.from_url(self.url).info("persistence").get("loading"):
                        return
            except redis.RedisError:
                pass
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    if server.proc and server.proc.poll() is None:
        server.kill()


def drain_and_stop(r: redis.Redis, worker: subprocess.Popen, timeout: float = 180) -> None:
    """Wait until the worker has checkpointed and deleted every entry of every lane (room shards and
    tenant lanes), then stop it."""
    from clearlive.serve.redis_transport import stream_key

    deadline = time.monotonic() + timeout
    while any(r.xlen(stream_key(lane)) for lane in lanes()):
        assert worker.poll() is None, "the worker died"
        assert time.monotonic() < deadline, "the streams were never drained"
        time.sleep(0.1)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) == 0


def _worker(redis_url: str, pg: str) -> subprocess.Popen:
    import sys

    code = (
        "from clearlive.serve.redis_transport import worker_main; "
        f"worker_main({redis_url!r}, {pg!r}, {list(range(SHARDS))!r}, None)"
    )
    return subprocess.Popen([sys.executable, "-c", code], cwd=Path(__file__).parents[1])


def test_redis_killed_and_restarted_loses_and_duplicates_nothing(
    tmp_path: Path,
    private_redis: PrivateRedis,
    pg_url: str,  # noqa: F811
) -> None:
    from fastapi.testclient import TestClient

    from clearlive.serve.app import create_app
    from clearlive.serve.redis_transport import RedisSubmitter, stream_key
    from clearlive.serve.store import open_store

    store = open_store(pg_url)
    key = store.create_key("ingest", "acme")
    auth = {"Authorization": f"Bearer {key}"}
    events = _events(tmp_path)
    expected = _expected(events)
    client = TestClient(create_app(store, RedisSubmitter(private_redis.url, SHARDS)), raise_server_exceptions=False)

    def post(chunk: list) -> int:
        body = b"\n".join(msgspec.json.encode(e) for e in chunk)
        return client.post("/api/v1/events", content=body, headers=auth).status_code

    chunks = [events[i : i + 400] for i in range(0, len(events), 400)]
    first, rest = chunks[: len(chunks) // 2], chunks[len(chunks) // 2 :]
    half = sum(len(c) for c in first)
    worker = _worker(private_redis.url, pg_url)
    try:
        for chunk in first:
            assert post(chunk) == 202
        deadline = time.monotonic() + 120
        while store.db.query("SELECT count(*) FROM events")[0][0] < half // 2:
            assert worker.poll() is None, "the worker died"
            assert time.monotonic() < deadline, "the worker never got going"
            time.sleep(0.02)

        private_redis.kill()  # mid-stream, between checkpoints
        assert post(rest[0]) == 503  # refused, not lost: the client retries it below
        health = client.get("/api/v1/health").json()
        assert health["status"] == "degraded" and any("Redis" in w for w in health["waiting_for"])
        time.sleep(1.0)  # the worker meets the outage and backs off
        assert worker.poll() is None, "the worker must wait for Redis, not die"

        private_redis.start()  # same port, same append-only file
        for chunk in rest:
            assert post(chunk) == 202
        r = redis.Redis.from_url(private_redis.url)
        drain_and_stop(r, worker)
    finally:
        if worker.poll() is None:
            worker.kill()
    ids = [row[0] for row in store.db.query("SELECT id FROM findings")]
    assert len(ids) == len(set(ids)) == len(expected) and set(ids) == expected
    assert store.db.query("SELECT count(*) FROM events")[0][0] == len({e.id for e in events})
    for s in lanes():
        assert r.xpending(stream_key(s), "clearlive")["pending"] == 0
    store.db.close()


def test_redis_restarted_without_persistence_the_worker_carries_on(
    tmp_path: Path,
    pg_url: str,  # noqa: F811
) -> None:
    """Redis restarted with no append-only file loses its streams and consumer groups: what it held
    is gone (the docs say to run it with AOF), but the worker recreates its groups, says so, and
    every event accepted after the restart is processed."""
    from clearlive.serve.redis_transport import RedisSubmitter
    from clearlive.serve.store import open_store

    server = PrivateRedis(tmp_path)
    server.start()
    redis.Redis.from_url(server.url).config_set("appendonly", "no")
    store = open_store(pg_url)
    events = _events(tmp_path)
    before, after = events[: len(events) // 2], events[len(events) // 2 :]
    submitter = RedisSubmitter(server.url, SHARDS)
    worker = _worker(server.url, pg_url)
    try:
        submitter.submit("acme", before)
        while store.db.query("SELECT count(*) FROM events")[0][0] == 0:
            assert worker.poll() is None
            time.sleep(0.02)
        server.kill()
        shutil.rmtree(tmp_path / "appendonlydir", ignore_errors=True)  # nothing kept on disk
        server.start()
        time.sleep(1.0)  # the worker finds its groups gone and makes them again
        submitter.submit("acme", after)
        drain_and_stop(redis.Redis.from_url(server.url), worker)
    finally:
        if worker.poll() is None:
            worker.kill()
        server.kill()
    stored = {row[0] for row in store.db.query("SELECT id FROM events")}
    assert {e.id for e in after} <= stored  # every event accepted after the restart
    store.db.close()
