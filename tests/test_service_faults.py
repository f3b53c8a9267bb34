"""When what the service depends on is down, it says so and loses nothing: ingest answers 503
(nothing accepted, so the client's retry is safe), health names what it waits for, and once the
dependency is back the same request goes through. (A worker killed mid-stream:
tests/test_service_redis.py; a service restarted: the embedded store persists, tests below.)"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from clearlive.serve.app import create_app
from clearlive.serve.db import PostgresDatabase
from clearlive.serve.embedded import EmbeddedPipeline
from clearlive.serve.keys import SqliteKeyStore
from clearlive.serve.store import ServiceStore, open_store
from tests.test_service import ROOM, ndjson

DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def test_redis_down_means_503_and_a_clear_health(tmp_path: Path) -> None:
    from clearlive.serve.redis_transport import RedisSubmitter

    store = open_store(str(tmp_path / "svc.duckdb"))
    key = store.create_key("ingest", "acme")
    client = TestClient(create_app(store, RedisSubmitter(DOWN, 2)), raise_server_exceptions=False)
    r = client.post("/api/v1/events", content=ndjson(ROOM), headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 503 and "Redis" in r.json()["detail"] and r.headers["Retry-After"]
    health = client.get("/api/v1/health").json()
    assert health["status"] == "degraded" and any("RedisSubmitter" in w for w in health["waiting_for"])


def test_database_down_means_503(tmp_path: Path) -> None:
    db = PostgresDatabase("postgresql://127.0.0.1:1/nothing", migrate=False)
    keys = SqliteKeyStore(tmp_path / "keys.sqlite")
    store = ServiceStore(db, keys)
    key = keys.create("reviewer", "acme")

    class Idle:  # the queue is not what is down here
        def submit(self, tenant: str, events: list) -> None: ...

        def lag(self) -> int:
            return 0

        def waiting_for(self) -> list[str]:
            return []

    client = TestClient(create_app(store, Idle()), raise_server_exceptions=False)
    r = client.get("/api/v1/findings", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 503 and "PostgreSQL" in r.json()["detail"]
    health = client.get("/api/v1/health").json()
    assert health["status"] == "degraded" and any("database (postgresql)" in w for w in health["waiting_for"])


def test_embedded_service_restarted_keeps_findings_and_keys(tmp_path: Path) -> None:
    path = str(tmp_path / "svc.duckdb")
    store = open_store(path)
    key = store.create_key("admin", "acme")
    pipeline = EmbeddedPipeline(store)
    client = TestClient(create_app(store, pipeline))
    assert (
        client.post("/api/v1/events", content=ndjson(ROOM), headers={"Authorization": f"Bearer {key}"}).status_code
        == 202
    )
    pipeline.drain()
    before = client.get("/api/v1/findings", headers={"Authorization": f"Bearer {key}"}).json()
    pipeline.close()
    store.db.close()
    store = open_store(path)  # the service starts again
    client = TestClient(create_app(store, EmbeddedPipeline(store)))
    assert client.get("/api/v1/findings", headers={"Authorization": f"Bearer {key}"}).json() == before


def test_embedded_crash_loses_no_accepted_event(tmp_path: Path) -> None:
    """Events answered 202 and then the process dies before the worker ran: the next start replays
    them from the store on top of the last detector checkpoint, and finds exactly what an
    uninterrupted run finds."""
    from clearlive.serve.embedded import TenantScanners

    path = tmp_path / "svc.duckdb"
    store = open_store(str(path))
    key = store.create_key("admin", "acme")
    first, second = ROOM[:2], ROOM[2:]
    pipeline = EmbeddedPipeline(store, state_path=path.with_suffix(".state"))
    client = TestClient(create_app(store, pipeline))
    auth = {"Authorization": f"Bearer {key}"}
    assert client.post("/api/v1/events", content=ndjson(first), headers=auth).json()["accepted"] == 2
    pipeline.drain()
    pipeline.close()  # a checkpoint covers the first part
    stalled = EmbeddedPipeline(store, state_path=path.with_suffix(".state"), start=False)  # its worker never runs
    client = TestClient(create_app(store, stalled))
    assert client.post("/api/v1/events", content=ndjson(second), headers=auth).json()["accepted"] == 2
    store.db.close()  # the process dies: accepted, not processed
    store = open_store(str(path))
    pipeline = EmbeddedPipeline(store, state_path=path.with_suffix(".state"))
    pipeline.drain()
    client = TestClient(create_app(store, pipeline))
    got = {f["id"] for f in client.get("/api/v1/findings", headers=auth).json()}
    from clearlive.serve.ingest import parse_events

    events, _ = parse_events(ndjson(ROOM))  # the ids the service gave them
    expected = {f.id for f in TenantScanners().process("acme", events)}
    assert got == expected and len(expected) >= 3
    assert store.pending_events() == []
    pipeline.close()


def test_disk_full_means_503_and_the_retry_goes_through(tmp_path: Path) -> None:
    """The store cannot write (disk full): the request is refused with 503, nothing is half-accepted,
    and once there is room the client's retry is accepted and processed."""
    import errno

    store = open_store(str(tmp_path / "svc.duckdb"))
    key = store.create_key("ingest", "acme")
    pipeline = EmbeddedPipeline(store)
    client = TestClient(create_app(store, pipeline), raise_server_exceptions=False)
    real = store.add_events

    def full(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device")

    store.add_events = full  # type: ignore[method-assign]
    auth = {"Authorization": f"Bearer {key}"}
    r = client.post("/api/v1/events", content=ndjson(ROOM), headers=auth)
    assert r.status_code == 503 and "disk" in r.json()["detail"] and r.headers["Retry-After"]
    store.add_events = real  # type: ignore[method-assign]
    assert client.post("/api/v1/events", content=ndjson(ROOM), headers=auth).json()["accepted"] == 4
    pipeline.drain()
    assert len(client.get("/api/v1/findings", headers=auth).json()) >= 3
    pipeline.close()


def test_pending_events_follow_the_checkpoint_watermark() -> None:
    """What a restart replays: events after the last checkpoint's watermark, in the order accepted;
    a store without a watermark (schema 2, or written by service-mode workers) goes by its row flags."""
    from clearlive.serve.ingest import parse_events

    store = open_store(None)
    events, _ = parse_events(ndjson(ROOM))
    store.add_events("acme", events[:2])  # flagged done, as service-mode workers store them
    assert store.pending_events() == []
    store.add_events("acme", events[2:], done=False)  # accepted, not yet covered
    assert [e.id for _, e in store.pending_events()] == [e.id for e in events[2:]]
    store.mark_done_through("acme", events[2].id)
    assert [e.id for _, e in store.pending_events()] == [events[3].id]
    store.mark_done_through("acme", events[3].id)
    assert store.pending_events() == []
