"""The service store on PostgreSQL (service mode): Alembic migrations, tenants, idempotent findings,
reviews and the audit chain, through the same HTTP API as the embedded store.

Needs PostgreSQL on 127.0.0.1:5432 with trust authentication (.ci/run checks it is up); each test
gets a fresh database, dropped afterwards. Skipped when no server answers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

psycopg = pytest.importorskip("psycopg")
ADMIN_URL = os.environ.get("CLEARLIVE_PG_ADMIN_URL", "postgresql://127.0.0.1:5432/postgres")


def _server_up() -> bool:
    try:
        psycopg.connect(ADMIN_URL, connect_timeout=2).close()
        return True
    except psycopg.OperationalError:
        return False


pytestmark = pytest.mark.skipif(not _server_up(), reason=f"no PostgreSQL at {ADMIN_URL}")


@pytest.fixture
def pg_url() -> Iterator[str]:
    name = f"clearlive_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    yield ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(ADMIN_URL, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_service_on_postgresql(pg_url: str) -> None:
    from clearlive.serve.store import open_store
    from tests.test_service import ROOM, Service

    store = open_store(pg_url)
    rows = store.db.query("SELECT version_num FROM alembic_version")
    assert rows == [("0006",)]
    svc = Service(store)
    try:
        assert svc.ingest(ROOM)["accepted"] == 4
        found = svc.client.get("/api/v1/findings", headers=svc.h("reviewer")).json()
        assert len(found) >= 3
        svc.ingest(ROOM)  # redelivery
        assert svc.client.get("/api/v1/findings", headers=svc.h("reviewer")).json() == found
        assert svc.client.get("/api/v1/findings", headers=svc.h("reviewer", "other")).json() == []
        fid = found[0]["id"]
        r = svc.client.post(f"/api/v1/findings/{fid}/review", json={"decision": "confirm"}, headers=svc.h("reviewer"))
        assert r.status_code == 200
        assert svc.client.get("/api/v1/audit/verify", headers=svc.h("admin")).json()["intact"] is True
        # a second process opening the same database (migrations already applied) sees the same keys
        again = open_store(pg_url)
        assert again.key_info(svc.keys[("reviewer", "acme")]) is not None
        again.db.close()
    finally:
        svc.pipeline.close()
        store.db.close()


def test_filters_are_only_data_on_postgresql(pg_url: str) -> None:
    from clearlive.serve.store import open_store
    from tests.test_service import Service, check_filters_are_only_data

    store = open_store(pg_url)
    svc = Service(store)
    try:
        check_filters_are_only_data(svc)
    finally:
        svc.pipeline.close()
        store.db.close()


def test_processes_starting_together_migrate_once(pg_url: str) -> None:
    """`clearlive serve --redis`, its workers and `clearlive keys create` may all open a fresh database
    at the same moment; each runs the migrations. Without a lock two of them created alembic_version
    at once and one failed (found by the Redis soak, whose key creation races the server's start)."""
    import concurrent.futures
    import multiprocessing

    from clearlive.serve.migrate import upgrade

    # processes, as in the service (Alembic's context is process-global, so threads would not do)
    with concurrent.futures.ProcessPoolExecutor(6, mp_context=multiprocessing.get_context("spawn")) as pool:
        for done in [pool.submit(upgrade, pg_url) for _ in range(6)]:
            done.result(timeout=120)
    with psycopg.connect(pg_url) as con:
        assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [("0006",)]
