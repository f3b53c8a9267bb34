"""The live service in-process (embedded store and queue): keys, tenants, ingest, findings, the
alert stream, reviews, the audit chain, evidence export, ranking and the dashboard."""

from __future__ import annotations

import io
import json
import re
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from clearlive.serve.app import create_app
from clearlive.serve.embedded import EmbeddedPipeline
from clearlive.serve.ingest import MAX_EVENTS
from clearlive.serve.store import ServiceStore, open_store

ROOM = [
    {"type": "session_start", "room_id": "r1", "ts": "2026-11-01T12:00:00Z", "anchor_id": "a1", "session_id": "s1"},
    {
        "type": "utterance",
        "room_id": "r1",
        "ts": "2026-11-01T12:00:05Z",
        "speaker": "host",
        "text": "这款面霜是全网最低价，最后三单",
    },
    {
        "type": "comment",
        "room_id": "r1",
        "ts": "2026-11-01T12:00:06Z",
        "user_id": "u1",
        "text": "加我微信 abc12345 领优惠",
    },
    {"type": "utterance", "room_id": "r1", "ts": "2026-11-01T12:00:09Z", "speaker": "host", "text": "用了保证治好湿疹"},
]


def ndjson(rows: list[dict]) -> bytes:
    return b"\n".join(json.dumps(r, ensure_ascii=False).encode() for r in rows)


class Service:
    def __init__(self, store: ServiceStore) -> None:
        self.store = store
        self.pipeline = EmbeddedPipeline(store)
        self.status: dict = {"stopping": threading.Event()}  # the server's shutdown event (runtime.serve)
        self.client = TestClient(create_app(store, self.pipeline, self.status))
        self.keys = {
            (role, tenant): store.create_key(role, tenant)
            for role in ("ingest", "reviewer", "admin")
            for tenant in ("acme", "other")
        }

    def h(self, role: str, tenant: str = "acme") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[(role, tenant)]}"}

    def login(self, role: str = "reviewer", tenant: str = "acme") -> str:
        """Log the client in through the dashboard, as a browser does: the session cookie, and the
        page's CSRF token sent with every action (as desk.js does). Returns the token."""
        self.client.cookies.clear()
        self.client.headers.pop("X-CSRF-Token", None)
        r = self.client.post("/login", data={"key": self.keys[(role, tenant)]}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/", r.text
        token = re.search(r'<meta name="csrf-token" content="([^"]+)">', self.client.get("/").text)
        assert token is not None
        self.client.headers["X-CSRF-Token"] = token.group(1)
        return token.group(1)

    def ingest(self, rows: list[dict], tenant: str = "acme", as_array: bool = False, status: int = 202) -> dict:
        """Post events; `status` is the answer expected (422: every event is refused)."""
        body = json.dumps(rows).encode() if as_array else ndjson(rows)
        r = self.client.post("/api/v1/events", content=body, headers=self.h("ingest", tenant))
        assert r.status_code == status, r.text
        self.pipeline.drain()
        return r.json()


@pytest.fixture
def svc() -> Iterator[Service]:
    s = Service(open_store(None))
    yield s
    s.pipeline.close()


def test_every_endpoint_needs_a_valid_key(svc: Service) -> None:
    for method, path in [
        ("get", "/api/v1/findings"),
        ("post", "/api/v1/events"),
        ("get", "/api/v1/rooms"),
        ("get", "/api/v1/alerts"),
        ("get", "/api/v1/audit/verify"),
    ]:
        assert getattr(svc.client, method)(path).status_code == 401
        bad = {"Authorization": "Bearer cl_not-a-key"}
        assert getattr(svc.client, method)(path, headers=bad).status_code == 401
    assert svc.client.get("/api/v1/health").status_code == 200


def test_ingest_finds_stores_and_isolates_tenants(svc: Service) -> None:
    answer = svc.ingest(ROOM)
    assert answer == {"accepted": 4, "rejected": 0, "rejects": []}
    found = svc.client.get("/api/v1/findings", params={"room_id": "r1"}, headers=svc.h("reviewer")).json()
    rules = {f["rule_id"] for f in found}
    assert any(r.startswith("zh.absolute") for r in rules) and any("diversion" in r for r in rules)
    assert all(f["status"] == "open" and f["seq"] > 0 for f in found)
    f0 = found[0]
    assert f0["evidence"]["text"] in next(
        r["text"] for r in ROOM if r.get("text") and f0["evidence"]["text"] in r["text"]
    )
    # another tenant sees nothing of it, and cannot write into its room
    assert svc.client.get("/api/v1/findings", headers=svc.h("reviewer", "other")).json() == []
    assert svc.client.get(f"/api/v1/findings/{f0['id']}", headers=svc.h("admin", "other")).status_code == 404
    other = svc.ingest(ROOM[1:2], tenant="other", status=422)  # nothing taken: not "accepted"
    assert other["accepted"] == 0 and other["rejects"][0]["error"] == "room belongs to another tenant"
    assert svc.client.get("/api/v1/rooms", headers=svc.h("ingest", "other")).json() == []


def test_redelivered_events_add_no_findings(svc: Service) -> None:
    svc.ingest(ROOM)
    first = svc.client.get("/api/v1/findings", headers=svc.h("reviewer")).json()
    svc.ingest(ROOM)  # a client retrying the same request
    svc.ingest(ROOM, as_array=True)  # and once more as a JSON array
    assert svc.client.get("/api/v1/findings", headers=svc.h("reviewer")).json() == first


def test_bad_events_are_rejected_with_line_and_field(svc: Service) -> None:
    rows = [ROOM[0], {"type": "comment", "room_id": "r1", "ts": "2026-11-01T12:00:06Z", "user_id": 7, "text": "x"}]
    body = ndjson(rows) + b"\n{not json\n"
    r = svc.client.post("/api/v1/events", content=body, headers=svc.h("ingest"))
    assert r.status_code == 202
    out = r.json()
    assert out["accepted"] == 1 and out["rejected"] == 2
    assert out["rejects"][0]["line"] == 2 and out["rejects"][0]["field"] == "user_id"
    assert out["rejects"][1]["line"] == 3
    too_many = ndjson([ROOM[2]] * (MAX_EVENTS + 1))
    assert svc.client.post("/api/v1/events", content=too_many, headers=svc.h("ingest")).status_code == 413
    assert svc.client.post("/api/v1/events", content=ndjson(ROOM), headers=svc.h("reviewer")).status_code == 403


def test_alert_stream_resumes_after_last_event_id(svc: Service) -> None:
    svc.ingest(ROOM)
    # The test client cannot hang up mid-stream: the server starts to stop, so each stream sends
    # what is stored and ends, as on a real shutdown.
    svc.status["stopping"].set()

    def stream(**headers: str) -> list[dict]:
        with svc.client.stream("GET", "/api/v1/alerts", headers={**svc.h("reviewer"), **headers}) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            body = "".join(r.iter_text())
        events = []
        for block in body.split("\n\n"):
            fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
            if fields:
                events.append({"id": int(fields["id"]), "finding": json.loads(fields["data"])})
        return events

    everything = stream()
    assert len(everything) >= 3 and [e["id"] for e in everything] == sorted(e["id"] for e in everything)
    resumed = stream(**{"Last-Event-ID": str(everything[1]["id"])})
    assert [e["id"] for e in resumed] == [e["id"] for e in everything[2:]]
    assert stream(**{"Authorization": f"Bearer {svc.keys[('reviewer', 'other')]}"}) == []


def test_reviews_are_audited_and_tampering_is_detected(svc: Service, tmp_path: Path) -> None:
    svc.ingest(ROOM)
    fid = svc.client.get("/api/v1/findings", headers=svc.h("reviewer")).json()[0]["id"]
    url = f"/api/v1/findings/{fid}/review"
    assert svc.client.post(url, json={"decision": "confirm"}, headers=svc.h("ingest")).status_code == 403
    assert svc.client.post(url, json={"decision": "dismiss"}, headers=svc.h("reviewer")).status_code == 422
    assert svc.client.post(url, json={"decision": "confirm"}, headers=svc.h("reviewer", "other")).status_code == 404
    r = svc.client.post(
        url, json={"decision": "dismiss", "reason": "a quote from a competitor's ad"}, headers=svc.h("reviewer")
    )
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    svc.client.post(url, json={"decision": "confirm"}, headers=svc.h("admin"))
    assert svc.client.get(f"/api/v1/findings/{fid}", headers=svc.h("reviewer")).json()["status"] == "confirmed"
    assert svc.store.decisions("acme") == {fid: "confirmed"}
    verify = svc.client.get("/api/v1/audit/verify", headers=svc.h("admin")).json()
    assert verify == {"intact": True, "entries": 2, "problem": None}
    assert svc.client.get("/api/v1/audit/verify", headers=svc.h("reviewer")).status_code == 403
    svc.store.db.execute("UPDATE audit_log SET detail = ? WHERE seq = 1", ['{"reason": "nothing"}'])
    verify = svc.client.get("/api/v1/audit/verify", headers=svc.h("admin")).json()
    assert verify["intact"] is False and verify["problem"] == "entry 1 was altered"


def test_audit_verify_command(tmp_path: Path) -> None:
    from clearlive.cli.main import main

    db = tmp_path / "svc.duckdb"
    store = open_store(str(db))
    store.audit("acme", "cl_abc", "finding.confirm", "f_1", {"reason": None})
    store.audit("acme", "cl_abc", "finding.dismiss", "f_2", {"reason": "no"})
    store.db.close()
    assert main(["audit", "verify", "--db", str(db)]) == 0
    store = open_store(str(db))
    store.db.execute("DELETE FROM audit_log WHERE seq = 1")
    store.db.close()
    assert main(["audit", "verify", "--db", str(db)]) == 1


def test_evidence_export_has_a_manifest_of_hashes(svc: Service) -> None:
    import hashlib

    svc.ingest(ROOM)
    assert svc.client.get("/api/v1/rooms/r1/evidence.zip", headers=svc.h("reviewer", "other")).status_code == 404
    r = svc.client.get("/api/v1/rooms/r1/evidence.zip", headers=svc.h("reviewer"))
    assert r.status_code == 200
    zf = zipfile.ZipFile(io.BytesIO(r.content))
    manifest = json.loads(zf.read("manifest.json"))
    assert set(manifest["files"]) == {"findings.jsonl", "evidence.csv", "events.jsonl"}
    for name, meta in manifest["files"].items():
        assert hashlib.sha256(zf.read(name)).hexdigest() == meta["sha256"]
    assert "最低价" in zf.read("evidence.csv").decode("utf-8-sig")
    assert svc.store.audit_entries("acme")[-1]["action"] == "evidence.export"


def test_rank_endpoint(svc: Service) -> None:
    body = {
        "policy": "service",
        "uncertainty": "mean",
        "candidates": [
            {"room_id": "a", "anchor_id": "good", "predicted_engagement": 100, "score": 85, "interval": [80, 90]},
            {"room_id": "b", "anchor_id": "bad", "predicted_engagement": 250, "score": 20, "interval": [10, 30]},
        ],
    }
    r = svc.client.post("/api/v1/rank", json=body, headers=svc.h("ingest"))
    assert r.status_code == 200 and [x["anchor_id"] for x in r.json()] == ["good", "bad"]
    assert (
        svc.client.post("/api/v1/rank", json={**body, "policy": "clicks"}, headers=svc.h("ingest")).status_code == 422
    )


def test_openapi_describes_the_api(svc: Service) -> None:
    spec = svc.client.get("/openapi.json").json()
    for path in ("/api/v1/events", "/api/v1/findings", "/api/v1/alerts", "/api/v1/findings/{finding_id}/review"):
        assert path in spec["paths"]


def test_dashboard_login_feed_room_and_queue(svc: Service) -> None:
    svc.ingest(ROOM)
    assert svc.client.get("/", follow_redirects=False).status_code == 303
    r = svc.client.post("/login", data={"key": "cl_wrong"}, follow_redirects=False)
    assert r.headers["location"] == "/login?error=1"
    r = svc.client.post("/login", data={"key": svc.keys[("reviewer", "acme")]}, follow_redirects=False)
    assert r.status_code == 303 and "clearlive_session" in r.cookies
    assert svc.keys[("reviewer", "acme")] not in r.headers["set-cookie"]  # a session id, never the key
    svc.login("reviewer", "acme")
    feed = svc.client.get("/").text
    assert "Live alerts" in feed and "r1" in feed and 'data-stream="/feed/alerts?after=' in feed
    assert svc.client.get("/static/desk.js").status_code == 200
    room = svc.client.get("/rooms/r1").text
    assert "<mark>" in room and "evidence.zip" in room
    queue = svc.client.get("/queue").text
    found = svc.client.get("/api/v1/findings").json()  # the cookie authenticates the API too
    fid, fid2 = found[0]["id"], found[1]["id"]
    assert fid in queue and fid2 in queue
    r = svc.client.post("/desk/decide", data={"ids": fid, "decision": "escalate"})
    assert r.status_code == 200 and r.json()["changed"] == 1
    assert 'data-status="escalated"' in next(iter(r.json()["incidents"].values()))
    r = svc.client.post("/desk/decide", data={"ids": fid2, "decision": "dismiss", "reason": "  "})
    assert r.status_code == 422 and "reason" in r.json()["detail"]  # shown by the page where it was asked
    assert svc.client.get(f"/api/v1/findings/{fid2}").json()["status"] == "open"
    r = svc.client.post("/desk/decide", data={"ids": f"{fid} {fid2}", "decision": "confirm"})
    assert r.status_code == 200 and r.json()["changed"] == 2
    r = svc.client.post("/desk/undo", data={"ids": fid})
    assert r.status_code == 200
    assert svc.client.get(f"/api/v1/findings/{fid}").json()["status"] == "escalated"  # back one step
    assert svc.client.post("/desk/undo", data={"ids": fid}).status_code == 200
    assert svc.client.post("/desk/undo", data={"ids": fid}).status_code == 422  # open: nothing to undo
    assert svc.client.get(f"/findings/{fid}").status_code == 200
    svc.login("reviewer", "other")
    assert svc.client.get("/rooms/r1").status_code == 404
    assert svc.client.get(f"/findings/{fid}").status_code == 404
    assert svc.client.post("/desk/decide", data={"ids": fid, "decision": "confirm"}).status_code == 404


def test_undo_is_a_new_audit_entry_and_takes_back_the_label(svc: Service) -> None:
    svc.ingest(ROOM)
    store = svc.store
    fid = store.findings("acme")[0]["id"]
    store.review("acme", fid, "dismiss", "a quote from a song", "rev")
    assert [r["note"] for r in store.labels("acme")] == ["a quote from a song"]
    entries = len(store.audit_entries("acme"))
    store.undo("acme", [fid], "rev")
    assert store.finding("acme", fid)["status"] == "open"
    assert store.labels("acme") == [] and store.decisions("acme") == {}
    audit = store.audit_entries("acme")
    assert len(audit) == entries + 1 and audit[-1]["action"] == "finding.undo"
    assert store.verify_audit()[0]
    with pytest.raises(ValueError):
        store.undo("acme", [fid], "rev")


def test_incidents_group_repeats_of_a_line(svc: Service) -> None:
    from clearlive.serve.incidents import group

    line = "全网最低价，史上最强"
    repeats = [
        {"type": "utterance", "room_id": "r9", "ts": f"2026-11-01T12:{m:02d}:00Z", "speaker": "host", "text": line}
        for m in range(0, 50, 2)
    ]
    svc.ingest(repeats)
    findings = svc.store.select_findings("acme", rooms=["r9"])
    incidents = group(findings)
    assert len(findings) >= 2 * 25  # two rules on each of 25 repeats
    assert len(incidents) == len({f["rule_id"] for f in findings})  # one incident per rule for the line
    assert sum(len(i.findings) for i in incidents) == len(findings)
    assert all(len(i.findings) % 25 == 0 for i in incidents)  # every repeat in its incident
    assert len({i.id for i in group(list(reversed(findings)))}) == len(incidents)  # ids stable


def test_keys_create_command_prints_a_working_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from clearlive.cli.main import main

    db = tmp_path / "svc.duckdb"
    assert main(["keys", "create", "--role", "reviewer", "--tenant", "acme", "--db", str(db)]) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith("cl_") and len(key) > 40
    store = open_store(str(db))  # the server opening the same store sees the key
    info = store.key_info(key)
    assert info is not None and (info.role, info.tenant) == ("reviewer", "acme")
    assert key not in (tmp_path / "svc.keys.sqlite").read_bytes().decode("latin-1")  # stored hashed
    assert main(["keys", "create", "--role", "owner", "--tenant", "acme", "--db", str(db)]) == 2


def test_host_page_shows_score_and_credit_ledger(svc: Service) -> None:
    orders = [
        {
            "type": "order",
            "room_id": "r1",
            "ts": f"2026-11-01T12:{10 + k // 60:02d}:{k % 60:02d}Z",
            "order_id": f"o{k}",
            "user_id": f"b{k}",
            "sku": "cream",
            "amount": 99.0,
        }
        for k in range(40)
    ]
    svc.ingest([*ROOM, *orders])
    svc.login("reviewer", "acme")
    assert "/hosts/a1" in svc.client.get("/").text
    page = svc.client.get("/hosts/a1").text
    assert "Host a1" in page and "Credit ledger" in page and "Service inside the live room" in page
    assert "40</b>orders" in page
    assert "disease" in page and "<td>-" in page  # the auto-confirmed critical claim cost credit points
    assert svc.client.get("/hosts/nobody").status_code == 404
    svc.login("reviewer", "other")
    assert svc.client.get("/hosts/a1").status_code == 404


def test_decisions_become_training_labels(svc: Service, tmp_path: Path) -> None:
    from clearlive.watch.evaluation import read_labeled_set

    svc.ingest(ROOM)
    found = svc.client.get("/api/v1/findings", headers=svc.h("reviewer")).json()
    confirmed, dismissed = found[0], found[1]
    base = "/api/v1/findings/{}/review"
    svc.client.post(base.format(confirmed["id"]), json={"decision": "confirm"}, headers=svc.h("reviewer"))
    svc.client.post(
        base.format(dismissed["id"]),
        json={"decision": "dismiss", "reason": "quoting a rival"},
        headers=svc.h("reviewer"),
    )
    r = svc.client.get("/api/v1/labels", headers=svc.h("reviewer"))
    assert r.status_code == 200
    path = tmp_path / "labels.jsonl"
    path.write_text(r.text, encoding="utf-8")
    labeled = {x.id: x for x in read_labeled_set(path)}
    assert labeled[f"review-{confirmed['id']}"].categories == [confirmed["category"]]
    neg = labeled[f"review-{dismissed['id']}"]
    assert neg.categories == [] and neg.near == dismissed["category"]
    assert svc.client.get("/api/v1/labels", headers=svc.h("ingest")).status_code == 403


def test_no_endpoint_shows_one_tenant_anything_of_another(svc: Service) -> None:
    """Every route of the OpenAPI spec, called with the other tenant's keys and this tenant's ids."""
    svc.ingest(ROOM)
    fid = svc.client.get("/api/v1/findings", headers=svc.h("reviewer")).json()[0]["id"]
    svc.client.post(f"/api/v1/findings/{fid}/review", json={"decision": "confirm"}, headers=svc.h("reviewer"))
    svc.status["stopping"].set()  # each alert stream sends what is stored and ends
    spec = svc.client.get("/openapi.json").json()
    seen = 0
    for path, methods in spec["paths"].items():
        url = path.replace("{finding_id}", fid).replace("{room_id}", "r1")
        for method in methods:
            for role in ("ingest", "reviewer", "admin"):
                headers = svc.h(role, "other")
                if method == "get":
                    r = svc.client.get(
                        url,
                        headers=headers,
                        params={"room_id": "r1"} if ("findings" in url or "evidence" in url) else None,
                    )
                elif path.endswith("/review"):
                    r = svc.client.post(url, json={"decision": "dismiss", "reason": "x"}, headers=headers)
                elif path == "/api/v1/events":
                    r = svc.client.post(url, content=ndjson(ROOM[1:2]), headers=headers)
                else:
                    continue  # /api/v1/rank reads no stored data
                seen += 1
                # events into another tenant's room: every one refused, so 422 with the rejects
                allowed = (422, 403) if path == "/api/v1/events" else (200, 202, 403, 404)
                assert r.status_code in allowed, (path, role, r.status_code)
                body = r.text
                assert fid not in body and "最低价" not in body and "abc12345" not in body, (path, role)
                if path == "/api/v1/events" and r.status_code == 422:
                    assert r.json()["accepted"] == 0  # may not write into another tenant's room
    assert seen >= 25
    # and the owner's data is untouched
    assert svc.client.get(f"/api/v1/findings/{fid}", headers=svc.h("reviewer")).json()["status"] == "confirmed"


HOSTILE = ["' OR '1'='1", "r1'; DROP TABLE findings; --", 'r1" OR ""="', "%", "r_", "r1%", "\\", "r1\x00"]


def check_filters_are_only_data(svc: Service) -> None:
    """SQL and LIKE metacharacters in every filter, id and path are compared as plain text: they
    match nothing, widen nothing and break nothing (the store takes parameters only)."""
    svc.ingest(ROOM)
    reviewer, admin = svc.h("reviewer"), svc.h("admin")
    everything = svc.client.get("/api/v1/findings", headers=reviewer).json()
    assert len(everything) >= 3
    for bad in HOSTILE:
        for params in ({"room_id": bad}, {"status": bad}, {"min_severity": bad}):
            r = svc.client.get("/api/v1/findings", params=params, headers=reviewer)
            assert r.status_code in (200, 422) and (r.status_code == 422 or r.json() == []), (params, r.text)
        assert svc.client.get(f"/api/v1/findings/{quote(bad, safe='')}", headers=reviewer).status_code in (404, 422)
        r = svc.client.get(f"/api/v1/rooms/{quote(bad, safe='')}/evidence.zip", headers=admin)
        assert r.status_code in (404, 422)
    # a room whose id is itself hostile is stored and found as that exact text, and only it
    hostile_room = [dict(row, room_id=HOSTILE[1]) for row in ROOM]
    assert svc.ingest(hostile_room)["accepted"] == 4
    mine = svc.client.get("/api/v1/findings", params={"room_id": HOSTILE[1]}, headers=reviewer).json()
    assert len(mine) == len(everything) and {f["room_id"] for f in mine} == {HOSTILE[1]}
    assert svc.client.get("/api/v1/findings", params={"room_id": "r1"}, headers=reviewer).json() == everything
    review = {"decision": "confirm", "reason": HOSTILE[1]}
    assert svc.client.post(f"/api/v1/findings/{mine[0]['id']}/review", json=review, headers=reviewer).status_code == 200
    nul = {"decision": "dismiss", "reason": "a\x00b"}  # a NUL the database cannot keep: the client's to fix
    status = svc.client.post(f"/api/v1/findings/{mine[1]['id']}/review", json=nul, headers=reviewer).status_code
    assert status == (422 if svc.store.db.kind == "postgresql" else 200)
    nul_event = dict(ROOM[2], room_id="r9", text="加V\x00abc12345")
    answer = svc.client.post("/api/v1/events", content=ndjson([nul_event]), headers=svc.h("ingest")).json()
    assert answer["accepted"] == 0 and "NUL" in answer["rejects"][0]["error"]
    assert svc.client.get("/api/v1/audit/verify", headers=admin).json()["intact"] is True
    assert svc.client.get("/api/v1/audit/verify", headers=admin).json()["intact"] is True


def test_filters_are_only_data(svc: Service) -> None:
    check_filters_are_only_data(svc)


def test_language_switch_stays_on_this_site(svc: Service) -> None:
    for target, expected in [
        ("/queue?view=all", "/queue?view=all"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
    ]:
        r = svc.client.get("/lang/zh", params={"next": target}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == expected
        assert r.cookies.get("clearlive_lang") == "zh"
