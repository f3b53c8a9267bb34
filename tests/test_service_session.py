"""The browser session and the admin's keys (issue #18 item 6): a server-side session id in the
cookie (signed, expiring, Secure over TLS, never the key); a CSRF token and an Origin check on every
state-changing route a cookie authenticates; `clearlive keys list|revoke` and the admin API; audit
verification scoped to the tenant; alert stream fields without CR/LF."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clearlive.serve.app import create_app
from tests.test_service import ROOM, Service, svc  # noqa: F401  (fixture)


def _audit_count(svc: Service) -> int:  # noqa: F811
    return int(svc.store.db.query("SELECT count(*) FROM audit_log")[0][0])


def test_the_cookie_is_a_signed_expiring_session_not_the_key(svc: Service) -> None:  # noqa: F811
    key = svc.keys[("reviewer", "acme")]
    r = svc.client.post("/login", data={"key": key}, follow_redirects=False)
    cookie = r.headers["set-cookie"]
    assert key not in cookie and "clearlive_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=43200" in cookie
    assert "Secure" not in cookie  # plain HTTP here: a Secure cookie would never come back
    value = r.cookies["clearlive_session"]
    assert svc.client.get("/queue").status_code == 200

    # a tampered signature, or a session id that was never opened, is nobody
    sid, _, mac = value.rpartition(".")
    for forged in (f"{sid}.{'0' * len(mac)}", f"{'x' * len(sid)}.{mac}", key):
        svc.client.cookies.clear()
        svc.client.cookies.set("clearlive_session", forged)
        assert svc.client.get("/queue", follow_redirects=False).status_code == 303
        assert svc.client.get("/api/v1/findings").status_code == 401
    svc.client.cookies.clear()
    svc.client.cookies.set("clearlive_key", key)  # the old cookie (the raw key) no longer authenticates
    assert svc.client.get("/api/v1/findings").status_code == 401

    # an expired session is over
    svc.client.cookies.clear()
    svc.client.cookies.set("clearlive_session", value)
    svc.store.keys._x("UPDATE sessions SET expires_ms = 1")  # type: ignore[attr-defined]
    assert svc.client.get("/queue", follow_redirects=False).status_code == 303


def test_over_tls_the_cookie_is_secure(svc: Service) -> None:  # noqa: F811
    tls = TestClient(create_app(svc.store, svc.pipeline, {}), base_url="https://desk.example")
    r = tls.post("/login", data={"key": svc.keys[("reviewer", "acme")]}, follow_redirects=False)
    assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]


def test_a_foreign_origin_review_changes_nothing(svc: Service) -> None:  # noqa: F811
    svc.ingest(ROOM)
    token = svc.login("reviewer", "acme")
    fid = svc.client.get("/api/v1/findings").json()[0]["id"]
    before = _audit_count(svc)
    svc.client.headers.pop("X-CSRF-Token")
    evil = {"Origin": "http://evil.example"}
    other_port = {"Origin": "http://testserver:8001"}  # SameSite does not tell ports apart
    attempts = [
        ("/desk/decide", {"ids": fid, "decision": "dismiss", "reason": "spam"}, evil),
        ("/desk/decide", {"ids": fid, "decision": "dismiss", "reason": "spam", "csrf": token}, evil),
        ("/desk/decide", {"ids": fid, "decision": "dismiss", "reason": "spam", "csrf": token}, other_port),
        ("/desk/decide", {"ids": fid, "decision": "dismiss", "reason": "spam"}, {}),  # no token
        ("/desk/decide", {"ids": fid, "decision": "dismiss", "reason": "spam", "csrf": "guess"}, {}),
        ("/desk/undo", {"ids": fid}, evil),
        ("/desk/assign", {"ids": fid, "assignee": "mallory"}, evil),
    ]
    for path, form, headers in attempts:
        r = svc.client.post(path, data=form, headers=headers)
        assert r.status_code == 403, (path, form, headers, r.text)
    # the API with the cookie: the same rules
    r = svc.client.post(f"/api/v1/findings/{fid}/review", json={"decision": "dismiss", "reason": "x"}, headers=evil)
    assert r.status_code == 403
    r = svc.client.post(f"/api/v1/findings/{fid}/review", json={"decision": "dismiss", "reason": "x"})
    assert r.status_code == 403  # a cookie without the page's token
    assert svc.client.get(f"/api/v1/findings/{fid}").json()["status"] == "open"
    assert svc.client.get(f"/api/v1/findings/{fid}").json().get("assignee") is None
    assert _audit_count(svc) == before  # nothing was written

    # the page's own request: its token, and its own origin (or none)
    own = {"Origin": "http://testserver", "X-CSRF-Token": token}
    r = svc.client.post("/desk/decide", data={"ids": fid, "decision": "escalate"}, headers=own)
    assert r.status_code == 200 and svc.client.get(f"/api/v1/findings/{fid}").json()["status"] == "escalated"
    r = svc.client.post("/desk/undo", data={"ids": fid, "csrf": token})  # a plain form's field
    assert r.status_code == 200
    proxied = {"Origin": "https://desk.example.com", "X-Forwarded-Host": "desk.example.com", "X-CSRF-Token": token}
    r = svc.client.post("/desk/assign", data={"ids": fid, "assignee": "me"}, headers=proxied)  # behind a proxy
    assert r.status_code == 200
    # a bearer key is no ambient credential: no token needed
    r = svc.client.post(
        f"/api/v1/findings/{fid}/review",
        json={"decision": "confirm"},
        headers={**svc.h("reviewer"), "Origin": "http://tool.example"},
    )
    assert r.status_code == 200


def test_login_from_another_site_and_logout(svc: Service) -> None:  # noqa: F811
    key = svc.keys[("reviewer", "acme")]
    r = svc.client.post("/login", data={"key": key}, headers={"Origin": "http://evil.example"}, follow_redirects=False)
    assert r.status_code == 403 and "clearlive_session" not in r.cookies
    token = svc.login("reviewer", "acme")
    assert (
        svc.client.post("/logout", data={}, headers={"X-CSRF-Token": "", "Origin": "http://evil.example"}).status_code
        == 403
    )
    assert svc.client.get("/queue", follow_redirects=False).status_code == 200  # still logged in
    svc.client.headers.pop("X-CSRF-Token")
    r = svc.client.post("/logout", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    svc.client.cookies.set(
        "clearlive_session", r.request.headers["cookie"].split("clearlive_session=")[1].split(";")[0]
    )
    assert svc.client.get("/queue", follow_redirects=False).status_code == 303  # the session is gone server-side


def test_keys_list_and_revoke_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from clearlive.cli.main import main
    from clearlive.serve.store import open_store

    db = str(tmp_path / "svc.duckdb")
    assert main(["keys", "create", "--role", "reviewer", "--tenant", "acme", "--db", db]) == 0
    reviewer = capsys.readouterr().out.strip()
    assert main(["keys", "create", "--role", "ingest", "--tenant", "other", "--db", db]) == 0
    ingest = capsys.readouterr().out.strip()

    assert main(["keys", "list", "--db", db]) == 0
    listed = capsys.readouterr().out
    assert reviewer[:10] in listed and ingest[:10] in listed and "active" in listed
    assert reviewer not in listed and ingest not in listed  # prefixes only

    store = open_store(db)
    svc_app = TestClient(create_app(store, _NoSubmit(), {}))
    r = svc_app.post("/login", data={"key": reviewer}, follow_redirects=False)
    assert r.status_code == 303
    assert svc_app.get("/queue", follow_redirects=False).status_code == 200
    # revoked while the server runs: the key and its session stop at once
    assert main(["keys", "revoke", reviewer[:10], "--db", db]) == 0
    assert svc_app.get("/queue", follow_redirects=False).status_code == 303
    assert svc_app.get("/api/v1/findings", headers={"Authorization": f"Bearer {reviewer}"}).status_code == 401
    assert svc_app.get("/api/v1/findings", headers={"Authorization": f"Bearer {ingest}"}).status_code == 200
    assert main(["keys", "revoke", reviewer[:10], "--db", db]) == 1  # nothing active with that prefix
    assert main(["keys", "list", "--tenant", "acme", "--db", db]) == 0
    assert "revoked" in capsys.readouterr().out
    store.db.close()


class _NoSubmit:
    def submit(self, tenant: str, events: list) -> None:
        raise AssertionError("no ingest here")

    def lag(self) -> int:
        return 0

    def waiting_for(self) -> list[str]:
        return []


def test_admin_api_lists_creates_and_revokes_its_tenants_keys_only(svc: Service) -> None:  # noqa: F811
    admin = svc.h("admin", "acme")
    listed = svc.client.get("/api/v1/keys", headers=admin).json()
    assert {k["tenant"] for k in listed} == {"acme"} and len(listed) == 3
    assert all(set(k) == {"prefix", "role", "tenant", "created_ms", "revoked"} for k in listed)
    assert svc.client.get("/api/v1/keys", headers=svc.h("reviewer", "acme")).status_code == 403

    made = svc.client.post("/api/v1/keys", json={"role": "ingest"}, headers=admin).json()
    new_key = made["key"]
    assert svc.client.get("/api/v1/rooms", headers={"Authorization": f"Bearer {new_key}"}).status_code == 200
    assert svc.client.post(f"/api/v1/keys/{made['prefix']}/revoke", headers=admin).status_code == 200
    assert svc.client.get("/api/v1/rooms", headers={"Authorization": f"Bearer {new_key}"}).status_code == 401
    # another tenant's key cannot be revoked (nor seen) by this admin
    theirs = svc.keys[("reviewer", "other")][:10]
    assert svc.client.post(f"/api/v1/keys/{theirs}/revoke", headers=admin).status_code == 404
    assert svc.client.get("/api/v1/rooms", headers=svc.h("reviewer", "other")).status_code == 200
    actions = [a for (a,) in svc.store.db.query("SELECT action FROM audit_log WHERE tenant = 'acme' ORDER BY seq")]
    assert actions == ["key.create", "key.revoke"]


def test_audit_verify_is_scoped_to_the_tenant(svc: Service) -> None:  # noqa: F811
    svc.ingest(ROOM)
    svc.ingest([{**r, "room_id": "r2"} for r in ROOM], tenant="other")
    acme = svc.client.get("/api/v1/findings", headers=svc.h("reviewer")).json()
    other = svc.client.get("/api/v1/findings", headers=svc.h("reviewer", "other")).json()
    for f in acme[:3]:
        svc.client.post(f"/api/v1/findings/{f['id']}/review", json={"decision": "confirm"}, headers=svc.h("reviewer"))
    svc.client.post(
        f"/api/v1/findings/{other[0]['id']}/review", json={"decision": "confirm"}, headers=svc.h("reviewer", "other")
    )
    mine = svc.client.get("/api/v1/audit/verify", headers=svc.h("admin", "other")).json()
    assert mine == {"intact": True, "entries": 1, "problem": None}  # not acme's 3
    assert svc.client.get("/api/v1/audit/verify", headers=svc.h("admin")).json()["entries"] == 3
    # tampering with one of acme's entries shows in acme's check
    svc.store.db.execute('UPDATE audit_log SET detail = \'{"reason": "edited"}\' WHERE seq = 2')
    broken = svc.client.get("/api/v1/audit/verify", headers=svc.h("admin")).json()
    assert broken["intact"] is False and "entry 2 was altered" in broken["problem"]
    # removing one breaks the links of its neighbours
    svc.store.db.execute("DELETE FROM audit_log WHERE seq = 3")
    assert svc.client.get("/api/v1/audit/verify", headers=svc.h("admin")).json()["intact"] is False


def test_a_cr_in_a_room_id_injects_no_line_into_the_event_stream(svc: Service) -> None:  # noqa: F811
    import msgspec

    from clearlive.model.events import Event

    room = "r1\rid: 999999\revent: evil\r\rdata: x"
    rows = [{**r, "id": f"cr-{n}"} for n, r in enumerate(ROOM)]
    events = [msgspec.json.decode(msgspec.json.encode(r), type=Event) for r in rows]
    for ev in events:  # past the door, which refuses control characters in ids (issue 18 item 1):
        ev.room_id = room  # this test is about the stream's framing, the second line of defence
    svc.store.claim_rooms("acme", [room])
    svc.pipeline.submit("acme", events)
    assert svc.pipeline.drain()
    svc.status["stopping"].set()  # each alert stream sends what is stored and ends
    for path, auth in (("/api/v1/alerts", svc.h("reviewer")), ("/feed/alerts", None)):
        if auth is None:
            svc.login("reviewer", "acme")
        body = svc.client.get(path, headers=auth or {}).text
        lines = re.split(r"\r\n|\r|\n", body)
        fields = [line.split(":", 1)[0] for line in lines if line and not line.startswith(":")]
        assert set(fields) == {"id", "event", "data"}, path
        assert [line for line in lines if line.startswith("event:")] == ["event: finding"] * fields.count("event")
        assert not any(line.startswith("id: 999999") for line in lines)
        assert fields.count("id") == fields.count("event") >= 3
