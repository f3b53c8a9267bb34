"""Issue 18 in service mode (Redis Streams workers, PostgreSQL): absurd events refused at the door
never reach a worker, and detection goes on; equal event ids in two tenants are both kept; a
reused id with other content is a conflict once a worker has stored the first; the schema 4
store is moved to (tenant, id) keys by Alembic. Needs Redis and PostgreSQL, like
tests/test_service_redis.py (skipped otherwise)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.test_service import ROOM, ndjson
from tests.test_service_hostile import ABSURD_TIMES, COMMENT
from tests.test_service_postgres import _server_up as pg_up
from tests.test_service_postgres import pg_url  # noqa: F401  (fixture)
from tests.test_service_redis import REDIS_URL, SHARDS, _redis_up, _worker

redis = pytest.importorskip("redis")
pytestmark = pytest.mark.skipif(not (_redis_up() and pg_up()), reason="needs Redis and PostgreSQL")


class RedisService:
    """The HTTP front on Redis Streams and PostgreSQL, as `clearlive serve --redis` runs it; the
    workers are started by `work()` and stop once idle."""

    def __init__(self, pg: str) -> None:
        from clearlive.serve.app import create_app
        from clearlive.serve.redis_transport import RedisSubmitter
        from clearlive.serve.store import open_store

        redis.Redis.from_url(REDIS_URL).flushdb()
        self.pg = pg
        self.store = open_store(pg)
        self.client = TestClient(
            create_app(self.store, RedisSubmitter(REDIS_URL, SHARDS), {}), raise_server_exceptions=False
        )
        self.keys = {t: self.store.create_key("admin", t) for t in ("acme", "other")}

    def post(self, rows: list[dict], tenant: str = "acme"):  # type: ignore[no-untyped-def]
        return self.client.post(
            "/api/v1/events", content=ndjson(rows), headers={"Authorization": f"Bearer {self.keys[tenant]}"}
        )

    def work(self) -> None:
        proc = _worker(self.pg, idle_exit_s=1.5)
        assert proc.wait(timeout=300) == 0  # the worker ended on its own: it never died on an event

    def findings(self, tenant: str) -> list[dict]:
        r = self.client.get("/api/v1/findings", headers={"Authorization": f"Bearer {self.keys[tenant]}"})
        assert r.status_code == 200
        return r.json()


@pytest.fixture
def rsvc(pg_url: str) -> Iterator[RedisService]:  # noqa: F811
    s = RedisService(pg_url)
    yield s
    s.store.db.close()


def test_absurd_times_never_reach_a_worker(rsvc: RedisService) -> None:
    for n, ts in enumerate(ABSURD_TIMES):
        r = rsvc.post([{**COMMENT, "id": f"bad-{n}", "ts": ts}])
        assert r.status_code == 422 and r.json()["rejects"][0]["field"] == "ts", r.text
    r = rsvc.post([ROOM[0], {**COMMENT, "ts": 10**15}, *ROOM[1:]])
    assert r.status_code == 202 and r.json()["accepted"] == 4
    from clearlive.serve.redis_transport import FINDINGS_CHANNEL

    told = redis.Redis.from_url(REDIS_URL).pubsub(ignore_subscribe_messages=True)
    told.subscribe(FINDINGS_CHANNEL)
    rsvc.work()
    assert {"zh.absolute.superlative", "zh.efficacy.disease_treatment"} <= {f["rule_id"] for f in rsvc.findings("acme")}
    # the worker said so on the channel the servers' alert-stream notifiers listen to
    heard = [told.get_message(timeout=1) for _ in range(5)]  # (the subscription's own reply reads as None)
    assert b"acme" in [m["data"] for m in heard if m is not None]


def test_equal_ids_in_two_tenants_are_both_kept(rsvc: RedisService) -> None:
    for tenant, room in (("acme", "a-room"), ("other", "b-room")):
        rows = [dict(row, room_id=room, id=f"msg-{n}") for n, row in enumerate(ROOM, start=1)]
        assert rsvc.post(rows, tenant).json()["accepted"] == 4
    rsvc.work()
    for tenant, room in (("acme", "a-room"), ("other", "b-room")):
        assert [e["id"] for e in rsvc.store.room_events(tenant, room)] == ["msg-1", "msg-2", "msg-3", "msg-4"]
        found = rsvc.findings(tenant)
        assert len(found) >= 3 and {f["room_id"] for f in found} == {room}
    # the evidence export has each tenant's own events
    r = rsvc.client.get("/api/v1/rooms/b-room/evidence.zip", headers={"Authorization": f"Bearer {rsvc.keys['other']}"})
    import io
    import zipfile

    events = zipfile.ZipFile(io.BytesIO(r.content)).read("events.jsonl").decode().splitlines()
    assert [json.loads(e)["room_id"] for e in events] == ["b-room"] * 4


def test_a_reused_id_is_a_conflict_once_stored(rsvc: RedisService) -> None:
    first = dict(COMMENT, id="c-1")
    assert rsvc.post([ROOM[0], first]).status_code == 202
    rsvc.work()  # the worker stores it as received (the worker core), before the scanner fills in its session
    stored = rsvc.store.room_events("acme", "r1")[1]
    assert stored["id"] == "c-1" and stored.get("session_id") is None
    again = rsvc.post([first])  # a retry, as sent the first time: no conflict
    assert again.status_code == 202 and again.json()["rejected"] == 0
    r = rsvc.post([dict(first, text="另一条")])
    assert r.status_code == 422 and r.json()["rejects"][0]["field"] == "id"
    rsvc.work()
    assert [e.get("text") for e in rsvc.store.room_events("acme", "r1")][1:] == [COMMENT["text"]]


def test_alembic_moves_a_schema_4_store_to_tenant_keys(pg_url: str) -> None:  # noqa: F811
    import psycopg

    from clearlive.serve.migrate import upgrade
    from clearlive.serve.store import open_store

    upgrade(pg_url, "0004")
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("INSERT INTO rooms VALUES ('r1', 'acme', 1)")
        con.execute(
            "INSERT INTO events (id, tenant, room_id, type, ts_ms, payload, seq, done) "
            "VALUES ('msg-1', 'acme', 'r1', 'comment', 1793000000000, %s, 1, TRUE)",
            [json.dumps(COMMENT)],
        )
        con.execute(
            "INSERT INTO findings VALUES ('f1', 1, 'acme', 'r1', NULL, 'high', 'c', 'rule', 1, 'open', '{}', NULL)"
        )
        con.execute("INSERT INTO reviews VALUES ('f1', 'acme', 'confirm', NULL, 'cl_x', 1)")
    store = open_store(pg_url)
    try:
        assert store.db.query("SELECT version_num FROM alembic_version") == [("0006",)]
        assert store.db.query("SELECT id, tenant FROM events") == [("msg-1", "acme")]
        assert store.db.query("SELECT id, finding_id FROM reviews") == [("v4-1", "f1")]
        keys = store.db.query(
            "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'p' AND conrelid::regclass::text IN ('events', 'findings', 'reviews') ORDER BY 1"
        )
        assert keys == [(t, "PRIMARY KEY (tenant, id)") for t in ("events", "findings", "reviews")]
        from clearlive.serve.ingest import parse_events

        theirs = parse_events(ndjson([dict(COMMENT, id="msg-1", room_id="theirs")]))[0]
        assert [e.id for e in store.add_events("other", theirs)] == ["msg-1"]
    finally:
        store.db.close()
