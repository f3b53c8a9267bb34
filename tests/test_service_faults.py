"""When what the service depends on is down, it says so and loses nothing: ingest answers 503
(nothing accepted, so the client's retry is safe), health names what it waits for, and once the
dependency is back the same request goes through. (A worker killed mid-stream:
tests/test_service_redis.py; a service restarted: the embedded store persists, tests below.)"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from clearlive.service.app import create_app
from clearlive.service.db import PostgresDatabase
from clearlive.service.keys import SqliteKeyStore
from clearlive.service.pipeline import EmbeddedPipeline
from clearlive.service.store import ServiceStore, open_store
from tests.test_service import ROOM, ndjson

DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def test_redis_down_means_503_and_a_clear_health(tmp_path: Path) -> None:
    from clearlive.service.redis_transport import RedisSubmitter

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
    client = TestClient(create_app(store, EmbeddedPipeline(store)), raise_server_exceptions=False)
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
