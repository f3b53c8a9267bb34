"""Hostile and careless clients of the service (issue 18), embedded: absurd values refused at the
door with their line and field, never a 500 nor a stopped detector; ids kept per tenant, a reused
id with other content reported as a conflict; evidence exports for any room id, streamed without
a cap; bodies refused by size before they are read; alert streams served by one notifier per
tenant, capped per key. (Redis and PostgreSQL: tests/test_service_hostile_redis.py.)"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from clearlive.serve.app import create_app
from clearlive.serve.embedded import EmbeddedPipeline
from clearlive.serve.store import open_store
from tests.test_service import ROOM, Service, ndjson

COMMENT = {
    "type": "comment",
    "room_id": "r1",
    "ts": "2026-11-01T12:00:06Z",
    "user_id": "u1",
    "text": "加我微信 abc12345",
}
# Times a worker cannot format or store, or that no live event has: each refused at the door.
ABSURD_TIMES = [10**15, 1e300, 2**63, 10**30, -(2**63) - 1, "0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z", 0]


@pytest.fixture
def svc() -> Iterator[Service]:
    s = Service(open_store(None))
    # a 500 must show as a 500 here, not as an exception the test client raises
    s.client = TestClient(s.client.app, raise_server_exceptions=False)
    yield s
    s.pipeline.close()


def post(svc: Service, body: bytes, tenant: str = "acme", **params: str):  # type: ignore[no-untyped-def]
    r = svc.client.post("/api/v1/events", content=body, headers=svc.h("ingest", tenant), params=params)
    svc.pipeline.drain()
    return r


def findings(svc: Service, tenant: str = "acme", **params: str) -> list[dict]:
    r = svc.client.get("/api/v1/findings", headers=svc.h("reviewer", tenant), params=params)
    assert r.status_code == 200, r.text
    return r.json()


# -- 1. validation at the door --------------------------------------------------------------------


@pytest.mark.parametrize("ts", ABSURD_TIMES, ids=repr)
def test_an_absurd_time_is_refused_with_its_line_and_detection_goes_on(svc: Service, ts: object) -> None:
    body = ndjson([ROOM[0], {**COMMENT, "ts": ts}, *ROOM[1:]])
    r = post(svc, body)
    assert r.status_code == 202, r.text
    out = r.json()
    assert out["accepted"] == 4 and out["rejected"] == 1
    assert out["rejects"][0]["line"] == 2 and out["rejects"][0]["field"] == "ts"
    # the rest of the batch was detected and stored: nobody's detection stopped
    assert {f["rule_id"] for f in findings(svc)} >= {"zh.absolute.superlative", "zh.efficacy.disease_treatment"}
    # alone, the bad event is the whole body: nothing taken, so not 202
    r = post(svc, ndjson([{**COMMENT, "ts": ts}]))
    assert r.status_code == 422 and r.json()["rejects"][0]["field"] == "ts"


def test_the_time_window_is_configurable(svc: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    old = {**COMMENT, "ts": "1995-06-01T00:00:00Z"}
    assert post(svc, ndjson([old])).status_code == 422  # before 2000 by default
    monkeypatch.setenv("CLEARLIVE_TS_MIN", "1990-01-01T00:00:00Z")
    assert post(svc, ndjson([old])).status_code == 202
    monkeypatch.setenv("CLEARLIVE_TS_AHEAD_S", "0")
    soon = {**COMMENT, "id": "soon", "ts": "2100-01-01T00:00:00Z"}
    assert post(svc, ndjson([soon])).json()["rejects"][0]["field"] == "ts"


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({**COMMENT, "type": ["comment"]}, "type"),
        ({"type": "gift", "room_id": "r1", "ts": COMMENT["ts"], "user_id": "u", "gift": {"name": "rose"}}, "gift"),
        ({"type": "gift", "room_id": "r1", "ts": COMMENT["ts"], "user_id": "u", "gift": "rose",
          "count": 2**64}, "count"),
        ({"type": "room_stats", "room_id": "r1", "ts": COMMENT["ts"], "online": -(2**63) - 1}, "online"),
        ({**COMMENT, "room_id": "r1\r\nid: 99"}, "room_id"),
        ({**COMMENT, "user_id": "u\x1b[31m"}, "user_id"),
        ({**COMMENT, "id": "x\n"}, "id"),
        ({**COMMENT, "room_id": "r" * 5000}, "room_id"),
        ({"type": "order", "room_id": "r1", "ts": COMMENT["ts"], "order_id": "o", "user_id": "u", "sku": "s",
          "promised_delivery": 10**17}, "promised_delivery"),
    ],
)  # fmt: skip
def test_bad_fields_are_rejects_naming_the_field(svc: Service, event: dict, field: str) -> None:
    r = post(svc, ndjson([ROOM[0], event]))
    assert r.status_code == 202, r.text
    assert r.json()["rejects"] == [{"line": 2, "field": field, "error": r.json()["rejects"][0]["error"]}]


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 1000 + b"]" * 1000,
        b'{"type": "comment", "x": ' + b"[" * 1000 + b"]" * 1000 + b"}",
        b"[" + b'{"a": ' * 1000 + b"1" + b"}" * 1000 + b"]",
        b'{"a": ' * 100_000 + b"1" + b"}" * 100_000,
    ],
    ids=["array", "field", "object-in-array", "deep-object"],
)
def test_json_nested_deep_is_a_reject_not_a_500(svc: Service, body: bytes) -> None:
    r = post(svc, body)
    assert r.status_code == 422, r.text
    assert r.json()["rejects"][0]["line"] == 1
    r = post(svc, body, source="tiktok", room_id="live-1")
    assert r.status_code == 422, r.text


def _msg(method: str, create_time: object, **payload: object) -> dict:
    return {"method": method, "payload": {"common": {"createTime": create_time}, **payload}}


def test_adapter_times_that_are_not_times_are_rejects(svc: Service) -> None:
    user = {"user": {"id": "7", "nickname": "v"}}
    lines = [
        _msg("WebcastChatMessage", "abc", content="hi", **user),  # 1: not a time
        _msg("WebcastChatMessage", 1e300, content="hi", **user),  # 2: a number, but no time
        _msg("WebcastChatMessage", [1], content="hi", **user),  # 3
        _msg("WebcastChatMessage", "1793000000", content="好的", **user),  # 4: fine
    ]
    r = post(svc, ndjson(lines), source="tiktok", room_id="live-1")
    assert r.status_code == 202, r.text
    out = r.json()
    assert out["accepted"] == 1
    assert [(x["line"], x["field"]) for x in out["rejects"]] == [
        (1, "common.createTime"),
        (2, "ts"),
        (3, "common.createTime"),
    ]
    r = post(svc, ndjson(lines[:1]), source="tiktok", room_id="live-1")
    assert r.status_code == 422 and r.json()["rejects"][0]["line"] == 1


def test_reject_lines_count_the_recordings_lines(svc: Service) -> None:
    """After lines that gave no event (a rank update) or two (a message and the closing totals),
    and after lines rejected by the adapter, a line the service refuses is named by its own number."""
    user = {"user": {"id": "7"}}
    lines = [
        {"method": "WebcastRankUpdateMessage", "payload": {"common": {"createTime": "1793000000"}}},  # 1: no event
        _msg("WebcastChatMessage", "abc", content="x", **user),  # 2: adapter reject
        _msg("WebcastChatMessage", "1793000001", content="ok", **user),  # 3: fine
        _msg("WebcastChatMessage", "946000000", content="1999", **user),  # 4: before 2000: the service refuses
        _msg("WebcastChatMessage", "1793000002", content="ok too", **user),  # 5
    ]
    out = post(svc, ndjson(lines), source="tiktok", room_id="live-2").json()
    assert [(x["line"], x["field"]) for x in out["rejects"]] == [(2, "common.createTime"), (4, "ts")]
    assert out["accepted"] == 2
    # NDJSON events: a rejected line, then a line in another tenant's room: named by their lines
    post(svc, ndjson([{**COMMENT, "room_id": "theirs"}]), tenant="other")
    body = ndjson([{**COMMENT, "ts": 10**15}, COMMENT, {**COMMENT, "room_id": "theirs"}, ROOM[3]])
    out = post(svc, body).json()
    assert [(x["line"], x["field"]) for x in out["rejects"]] == [(1, "ts"), (3, "room_id")]


def test_scan_reports_absurd_times_with_file_and_line(tmp_path: Path) -> None:
    from clearlive.watch.sources import InputOptions, ReadStats, RejectSink, read_inputs

    path = tmp_path / "room.jsonl"
    rows = [COMMENT, {**COMMENT, "ts": 10**15}, {**COMMENT, "ts": "0001-01-01T00:00:00Z"}, {**COMMENT, "count": 1}]
    rows.append({"type": "like", "room_id": "r1", "ts": COMMENT["ts"], "user_id": "u", "count": 2**64})
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n" + "[" * 2000 + "]" * 2000 + "\n")
    sink, stats = RejectSink(None), ReadStats()
    events = list(read_inputs([str(path)], InputOptions(), sink, stats))
    assert len(events) == 2
    assert [(r.source, r.line, r.field) for r in sink.first] == [
        ("room.jsonl", 2, "ts"),
        ("room.jsonl", 3, "ts"),
        ("room.jsonl", 5, "count"),
        ("room.jsonl", 6, None),
    ]


# -- 3. identity per tenant -----------------------------------------------------------------------


def _room(room: str) -> list[dict]:
    return [dict(row, room_id=room, id=f"msg-{n}") for n, row in enumerate(ROOM, start=1)]


def test_equal_ids_in_two_tenants_are_both_kept(svc: Service) -> None:
    assert post(svc, ndjson(_room("a-room"))).json()["accepted"] == 4
    assert post(svc, ndjson(_room("b-room")), tenant="other").json()["accepted"] == 4
    for tenant, room in (("acme", "a-room"), ("other", "b-room")):
        assert [e["id"] for e in svc.store.room_events(tenant, room)] == ["msg-1", "msg-2", "msg-3", "msg-4"]
        found = findings(svc, tenant)
        assert len(found) >= 3 and {f["room_id"] for f in found} == {room}
        zf = zipfile.ZipFile(
            io.BytesIO(svc.client.get(f"/api/v1/rooms/{room}/evidence.zip", headers=svc.h("reviewer", tenant)).content)
        )
        events = [json.loads(line) for line in zf.read("events.jsonl").splitlines()]
        assert [e["room_id"] for e in events] == [room] * 4
    assert len(findings(svc, "acme")) == len(findings(svc, "other"))


def test_a_reused_id_with_other_content_is_a_conflict(svc: Service) -> None:
    first = dict(COMMENT, id="c-1")
    assert post(svc, ndjson([first])).json()["accepted"] == 1
    again = post(svc, ndjson([first]))  # a retry: accepted, stored once
    assert again.status_code == 202 and again.json()["accepted"] == 1
    assert len(svc.store.room_events("acme", "r1")) == 1
    changed = dict(first, text="另一条评论")
    r = post(svc, ndjson([ROOM[0], changed]))
    assert r.status_code == 202
    assert r.json()["rejects"] == [{"line": 2, "field": "id", "error": r.json()["rejects"][0]["error"]}]
    assert "conflict" in r.json()["rejects"][0]["error"]
    r = post(svc, ndjson([changed]))
    assert r.status_code == 422 and r.json()["rejects"][0]["field"] == "id"
    # within one body: the second use of an id with other content
    r = post(svc, ndjson([dict(COMMENT, id="c-2"), dict(COMMENT, id="c-2"), dict(COMMENT, id="c-2", text="不同")]))
    assert [(x["line"], x["field"]) for x in r.json()["rejects"]] == [(3, "id")]
    stored = {e["id"]: e.get("text") for e in svc.store.room_events("acme", "r1")}
    assert stored["c-1"] == COMMENT["text"] and stored["c-2"] == COMMENT["text"]


def _v4_store(path: Path) -> None:
    """An embedded store as schema 4 left it: ids unique across tenants, reviews without ids."""
    import duckdb

    from clearlive.serve.schema import DDL_V1, DDL_V2, DDL_V3, DDL_V4

    con = duckdb.connect(str(path))
    for stmt in [*DDL_V1, *DDL_V2, *DDL_V3, *DDL_V4]:
        con.execute(stmt)
    con.execute("INSERT INTO service_meta VALUES ('schema_version', '4')")
    con.execute("INSERT INTO rooms VALUES ('r1', 'acme', 1)")
    con.execute(
        "INSERT INTO events VALUES ('msg-1', 'acme', 'r1', 'comment', 1793000000000, ?, 1, TRUE)", [json.dumps(COMMENT)]
    )
    con.execute(
        "INSERT INTO findings VALUES ('f1', 1, 'acme', 'r1', NULL, 'high', 'c', 'rule', 1793000000000, 'confirmed', "
        "'{}', NULL)"
    )
    con.execute("INSERT INTO reviews VALUES ('f1', 'acme', 'confirm', NULL, 'cl_x', 1)")
    con.close()


def test_an_embedded_store_of_schema_4_is_moved_to_tenant_keys(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    _v4_store(path)
    store = open_store(str(path))
    try:
        assert store.db.query("SELECT value FROM service_meta WHERE key = 'schema_version'") == [("6",)]
        assert store.db.query("SELECT id, tenant, digest FROM events") == [("msg-1", "acme", None)]
        assert store.db.query("SELECT id, tenant, status FROM findings") == [("f1", "acme", "confirmed")]
        assert store.db.query("SELECT id, finding_id FROM reviews") == [("v4-1", "f1")]
        from clearlive.serve.ingest import parse_events

        mine = parse_events(ndjson([dict(COMMENT, id="msg-1", room_id="theirs")]))[0]
        assert [e.id for e in store.add_events("other", mine)] == ["msg-1"]  # another tenant's msg-1: kept
        assert store.db.query("SELECT count(*) FROM events WHERE id = 'msg-1'") == [(2,)]
    finally:
        store.db.close()
    store = open_store(str(path))  # opened again: nothing moved twice
    assert store.db.query("SELECT count(*) FROM events") == [(2,)]
    store.db.close()


# -- 4. evidence export ---------------------------------------------------------------------------

ROOM_IDS = ["直播间-上海", "🎁 gifts", "quote\"; filename*=UTF-8''evil.html", "a/b/../c", "what?x=1#y", "semi;colon"]


@pytest.mark.parametrize("room", ROOM_IDS)
def test_evidence_exports_for_any_room_id(svc: Service, room: str) -> None:
    assert post(svc, ndjson([dict(row, room_id=room) for row in ROOM])).json()["accepted"] == 4
    before = len(svc.store.audit_entries("acme"))
    by_path = svc.client.get(f"/api/v1/rooms/{quote(room, safe='')}/evidence.zip", headers=svc.h("reviewer"))
    by_query = svc.client.get("/api/v1/evidence.zip", params={"room_id": room}, headers=svc.h("reviewer"))
    for r in (by_path, by_query):
        assert r.status_code == 200, r.text
        disposition = r.headers["content-disposition"]
        fallback, star = disposition.split("; filename*=UTF-8''")
        assert fallback.startswith('attachment; filename="') and fallback.count('"') == 2
        assert all(c.isascii() and (c.isalnum() or c in '._-"; =') for c in fallback)
        assert "filename*" not in fallback and star == quote(f"{room}-evidence.zip", safe="")
        zf = zipfile.ZipFile(io.BytesIO(r.content))
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["room_id"] == room and manifest["events"] == 4 and manifest["findings"] >= 3
    entries = svc.store.audit_entries("acme")[before:]
    assert [(e["action"], e["subject"]) for e in entries] == [("evidence.export", room)] * 2


def test_a_failed_export_writes_no_audit_entry(svc: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    svc.ingest(ROOM)
    before = len(svc.store.audit_entries())

    def broken(*_: object, **__: object) -> list:
        raise RuntimeError("the store failed half-way")

    monkeypatch.setattr(svc.store, "room_event_pages", broken)
    r = svc.client.get("/api/v1/rooms/r1/evidence.zip", headers=svc.h("reviewer"))
    assert r.status_code == 500
    assert len(svc.store.audit_entries()) == before


def test_the_export_has_every_finding_and_the_manifest_counts_them(
    svc: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages smaller than the room (as 100,000 findings would be against the old cap): all of them
    are in the zip, in order, and the manifest says how many."""
    import clearlive.serve.evidence as evidence_module

    monkeypatch.setattr(evidence_module, "EXPORT_PAGE", 2)
    rows = [dict(ROOM[1], ts=f"2026-11-01T12:{m:02d}:05Z", id=f"u{m}") for m in range(25)]
    svc.ingest([ROOM[0], *rows])
    every = findings(svc, room_id="r1")
    r = svc.client.get("/api/v1/rooms/r1/evidence.zip", headers=svc.h("reviewer"))
    zf = zipfile.ZipFile(io.BytesIO(r.content))
    manifest = json.loads(zf.read("manifest.json"))
    exported = [json.loads(line) for line in zf.read("findings.jsonl").splitlines()]
    assert [f["id"] for f in exported] == [f["id"] for f in every] and len(every) >= 25
    assert manifest["findings"] == len(every) and manifest["events"] == 26
    assert len(zf.read("evidence.csv").decode("utf-8-sig").splitlines()) == len(every) + 1
    assert zf.read("evidence.csv").count(b"\xef\xbb\xbf") == 1
    for name, meta in manifest["files"].items():
        assert hashlib.sha256(zf.read(name)).hexdigest() == meta["sha256"] and len(zf.read(name)) == meta["bytes"]


def test_the_feed_shows_the_newest_findings_whatever_came_before(svc: Service) -> None:
    """The finding sequence is shared by every tenant: the feed takes the tenant's newest rows by
    seq, not those within a span of seq numbers (which other tenants' findings can fill)."""
    svc.ingest(ROOM)
    svc.store.db.query("SELECT nextval('finding_seq') FROM range(5000)")  # other tenants' findings meanwhile
    svc.ingest([dict(row, room_id="r2") for row in ROOM])
    login = svc.client.post("/login", data={"key": svc.keys[("reviewer", "acme")]}, follow_redirects=False)
    assert login.status_code in (302, 303)
    page = svc.client.get("/").text
    every = findings(svc)
    assert {f["room_id"] for f in every} == {"r1", "r2"}
    assert [f["id"] for f in every if f["id"] not in page] == []


# -- 5. limits before reading ---------------------------------------------------------------------


def test_a_body_over_the_cap_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A chunked body (no Content-Length to go by) to a real server: the 413 comes once the cap is
    passed, while the client is still sending, not after 400 MB were read into memory."""
    import select
    import socket

    from clearlive.serve.limits import MAX_BODY_BYTES
    from tests.serve_process import create_key, start_serve

    db = str(tmp_path / "s.duckdb")
    key = create_key(db, "ingest", "acme")
    proc, base = start_serve(tmp_path, db)
    try:
        host, port = base.removeprefix("http://").split(":")
        line = ndjson([COMMENT]) + b"\n"
        piece = line * (65536 // len(line))
        chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        sent, answer = 0, b""
        head = f"POST /api/v1/events HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            sock.sendall(f"{head}Transfer-Encoding: chunked\r\n\r\n".encode())
            while sent < 40 * MAX_BODY_BYTES:
                if select.select([sock], [], [], 0)[0]:
                    break  # the server answered while we were sending
                try:
                    sock.sendall(chunk)
                except OSError:  # the server closed the connection
                    break
                sent += len(piece)
            try:
                answer = sock.recv(65536)
            except OSError:
                answer = b""
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert sent < 4 * MAX_BODY_BYTES, sent  # socket buffers hold a few MB; the old server read all 400
        with socket.create_connection((host, int(port)), timeout=30) as sock:  # a Content-Length over the cap
            sock.sendall(f"{head}Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n".encode() + piece)
            assert sock.recv(65536).startswith(b"HTTP/1.1 413")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_adapter_conversion_runs_off_the_event_loop(svc: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import clearlive.serve.ingest as ingest_module

    loop_threads = []
    real = ingest_module.adapt_body

    def spy(*args: object):  # type: ignore[no-untyped-def]
        try:
            asyncio.get_running_loop()
            loop_threads.append(threading.current_thread().name)
        except RuntimeError:
            pass  # no loop in this thread: good
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest_module, "adapt_body", spy)
    r = post(
        svc,
        ndjson([_msg("WebcastChatMessage", "1793000000", content="hi", user={"id": "1"})]),
        source="tiktok",
        room_id="x",
    )
    assert r.status_code == 202 and loop_threads == []


class _Request:
    """What alert_stream asks of a request: whether the client left."""

    def __init__(self) -> None:
        self.gone = False

    async def is_disconnected(self) -> bool:
        return self.gone


def test_alert_streams_share_one_notifier_per_tenant_and_are_capped_per_key() -> None:
    """Sixty idle streams of one tenant cost one store query per poll, not sixty; a key holds at
    most MAX_STREAMS_PER_KEY; a new finding reaches every stream."""
    from clearlive.serve.limits import MAX_STREAMS_PER_KEY

    store = open_store(None)
    pipeline = EmbeddedPipeline(store)
    app = create_app(store, pipeline, {})
    hub = app.state.alert_hub
    hub.poll_s = 0.05
    calls = {"n": 0}
    real = store.findings

    def counting(*args: object, **kwargs: object) -> list:
        calls["n"] += 1
        return real(*args, **kwargs)  # type: ignore[arg-type]

    store.findings = counting  # type: ignore[method-assign]

    async def run() -> None:
        reqs, streams = [], []
        for k in range(60):
            req = _Request()
            key = "key-0" if k < MAX_STREAMS_PER_KEY else f"key-{k}"
            resp = app.state.alert_stream(req, "acme", 0, lambda f: f["id"], key)
            reqs.append(req)
            streams.append(resp.body_iterator)
        with pytest.raises(Exception) as refused:
            app.state.alert_stream(_Request(), "acme", 0, str, "key-0")
        assert getattr(refused.value, "status_code", None) == 429
        firsts = [await s.__anext__() for s in streams]  # ": connected"
        assert all(f.startswith(b": connected") for f in firsts)
        nexts = [asyncio.ensure_future(s.__anext__()) for s in streams]
        polls_before = hub.polls
        await asyncio.sleep(1.0)  # idle: the notifier polls, the streams do not
        assert calls["n"] == 0
        assert hub.polls - polls_before <= 1.0 / hub.poll_s + 2
        await asyncio.to_thread(
            pipeline.submit,
            "acme",
            __import__("clearlive.serve.ingest", fromlist=["parse_events"]).parse_events(ndjson(ROOM))[0],
        )
        done = await asyncio.wait_for(asyncio.gather(*nexts), 10)
        assert all(b"event: finding" in d for d in done)
        for req in reqs:
            req.gone = True
        for s in streams:
            await s.aclose()
        assert hub.open_streams("key-0") == 0 and not hub.tenants

    try:
        asyncio.run(run())
    finally:
        pipeline.close()


def test_live_audio_refuses_absurd_start_times_control_characters_and_oversize_chunks(svc: Service) -> None:
    pytest.importorskip("faster_whisper")
    from clearlive.serve.audio_api import MAX_CHUNK_BYTES
    from clearlive.watch.audio.decode import decode
    from tests.test_audio import SPOKEN, wav_bytes

    chunk = wav_bytes(decode(SPOKEN).samples[: 3 * 16_000])
    for t0 in ("9999-01-01T00:00:00Z", "0001-01-01T00:00:00Z"):
        r = svc.client.post("/api/v1/rooms/live-9/audio", params={"t0": t0}, content=chunk, headers=svc.h("ingest"))
        assert r.status_code == 422 and "t0" in r.text, r.text
    crlf_room = quote("live\r\nx", safe="")
    r = svc.client.post(f"/api/v1/rooms/{crlf_room}/audio", content=chunk, headers=svc.h("ingest"))
    assert r.status_code == 422 and "room_id" in r.text
    r = svc.client.post("/api/v1/rooms/live-9/audio", content=b"\0" * (MAX_CHUNK_BYTES + 1), headers=svc.h("ingest"))
    assert r.status_code == 413
