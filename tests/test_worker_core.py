"""One poisoned event stops nobody's detection (issue #18 item 2, issue #20 item 1): a detector that
raises on one event is retried from the last checkpoint a bounded number of times, the event then
goes to the dead letters with its error, every other event (of its room, of other rooms, of other
tenants) gives the findings it gives without it, and /api/v1/health says "degraded" with the count.

The poison is a detector registered for the test (it raises on one chat line), so that the policy
is tested whatever a real detector's bug would be. Embedded here; the Redis workers in
tests/test_worker_core_redis.py; Spark in tests/test_spark_stream.py."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import msgspec
import pytest
from fastapi.testclient import TestClient

from clearlive.model.events import EventBase
from clearlive.model.findings import Finding
from clearlive.serve.app import create_app
from clearlive.serve.embedded import EmbeddedPipeline
from clearlive.serve.store import open_store
from clearlive.watch.detectors.base import Detector, RoomState
from clearlive.watch.scan.scanner import ScanConfig, Scanner
from clearlive.watch.scan.worker_core import DeadLetter, WorkerCore
from tests.test_service import ROOM, ndjson

POISON = "POISON-LINE"


class PoisonDetector(Detector):
    """Raises on one chat line, as a detector with a bug would (a value it cannot format)."""

    id = "test.poison"
    event_types = frozenset({"comment"})

    def observe(self, event: EventBase, room: RoomState) -> Iterable[Finding]:
        if POISON in (getattr(event, "text", "") or ""):
            raise OverflowError("date value out of range (the test's poisoned event)")
        return ()


@pytest.fixture
def poisoned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every scanner built from here on carries the poison detector."""
    original = Scanner.from_config.__func__  # type: ignore[attr-defined]

    def from_config(cls: type[Scanner], config: ScanConfig, tenant: str | None = None, part: str = "all") -> Scanner:
        scanner = original(cls, config, tenant, part)
        if part != "cross":  # a per-room detector, as most are
            poison = PoisonDetector()
            scanner.detectors.append(poison)
            scanner.observers.append((poison, True))
            scanner._by_type.clear()
        return scanner

    monkeypatch.setattr(Scanner, "from_config", classmethod(from_config))


def rooms(tag: str) -> list[dict]:
    """ROOM (findings on speech and chat) as room `tag`, with the poisoned line after its first
    finding and before the rest."""
    rows = [{**r, "room_id": tag, "session_id": r.get("session_id") and f"s-{tag}"} for r in ROOM]
    rows = [{k: v for k, v in r.items() if v is not None} for r in rows]
    poison = {"type": "comment", "room_id": tag, "ts": "2026-11-01T12:00:07Z", "user_id": "u9", "text": POISON}
    return [*rows[:3], poison, *rows[3:]]


def clean(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r.get("text") != POISON]


class Embedded:
    def __init__(self) -> None:
        self.store = open_store(None)
        self.pipeline = EmbeddedPipeline(self.store)
        self.client = TestClient(create_app(self.store, self.pipeline, {}))
        self.keys = {t: self.store.create_key("ingest", t) for t in ("acme", "other")}
        self.admin = self.store.create_key("admin", "acme")

    def ingest(self, tenant: str, rows: list[dict]) -> None:
        r = self.client.post(
            "/api/v1/events", content=ndjson(rows), headers={"Authorization": f"Bearer {self.keys[tenant]}"}
        )
        assert r.status_code == 202, r.text
        assert self.pipeline.drain(60)

    def found(self, tenant: str) -> list[tuple[str, str]]:
        rows = self.store.db.query("SELECT room_id, rule_id FROM findings WHERE tenant = ? ORDER BY 1, 2", [tenant])
        return [tuple(r) for r in rows]

    def close(self) -> None:
        self.pipeline.close()
        self.store.db.close()


@pytest.fixture
def embedded() -> Iterator[Embedded]:
    e = Embedded()
    yield e
    e.close()


def test_without_poison_the_same_rooms_give_their_findings(embedded: Embedded) -> None:
    embedded.ingest("acme", clean(rooms("room-a")))
    embedded.ingest("other", clean(rooms("room-b")))
    assert len(embedded.found("acme")) >= 3 and len(embedded.found("other")) >= 3
    health = embedded.client.get("/api/v1/health").json()
    assert health["status"] == "ok" and health["dead_letters"] == {"total": 0, "by_stage": {}}


def test_a_poisoned_event_goes_to_the_dead_letters_and_nobody_stops(poisoned: None) -> None:
    # what the rooms give without the poisoned line, for comparison (same detectors, poison included)
    reference = Embedded()
    try:
        reference.ingest("acme", clean(rooms("room-a")))
        reference.ingest("other", clean(rooms("room-b")))
        want_acme, want_other = reference.found("acme"), reference.found("other")
    finally:
        reference.close()
    assert ("room-a", "zh.diversion.contact_app") in want_acme and len(want_other) >= 5

    svc = Embedded()
    try:
        # the poison arrives in one request with tenant acme's whole room, then tenant other's room
        svc.ingest("acme", rooms("room-a"))
        svc.ingest("other", clean(rooms("room-b")))
        assert svc.found("acme") == want_acme  # the events after the poison in its own batch too
        assert svc.found("other") == want_other
        assert svc.pipeline.thread.is_alive()

        letters = svc.store.dead_letters()
        assert len(letters) == 1
        letter = letters[0]
        assert (letter["tenant"], letter["room_id"], letter["stage"], letter["attempts"]) == (
            "acme",
            "room-a",
            "detect",
            3,
        )
        assert "OverflowError" in letter["error"] and "poisoned event" in letter["error"]
        assert msgspec.json.decode(letter["payload"])["text"] == POISON

        health = svc.client.get("/api/v1/health").json()
        assert health["status"] == "degraded"
        assert health["dead_letters"] == {"total": 1, "by_stage": {"detect": 1}}

        # later events of the same room still give findings (the scanner carries on)
        later = {
            "type": "comment",
            "room_id": "room-a",
            "ts": "2026-11-01T12:00:30Z",
            "user_id": "u2",
            "text": "加我微信 zz998877 便宜",
        }
        svc.ingest("acme", [later])
        assert len(svc.found("acme")) > len(want_acme)

        # an operator resolves it: health is ok again
        assert svc.store.resolve_dead_letters() == 1
        assert svc.client.get("/api/v1/health").json()["status"] == "ok"
    finally:
        svc.close()


class _Rows:
    """A sink that refuses one finding as data (the database's DataError, say)."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.letters: list[DeadLetter] = []

    def add_events(self, tenant: str, events: Iterable[EventBase]) -> None:
        return None

    def add_findings(self, tenant: str, findings: Iterable[Finding]) -> None:
        batch = list(findings)
        if any(".diversion." in f.rule_id for f in batch):
            raise ValueError("value out of range for type bigint")
        self.findings.extend(batch)

    def add_dead_letters(self, letters: Iterable[DeadLetter]) -> None:
        self.letters.extend(letters)


def test_a_finding_the_store_refuses_is_dead_lettered_and_the_rest_stored() -> None:
    from clearlive.model.events import Event
    from clearlive.serve.embedded import TenantScanners

    sink = _Rows()
    core = WorkerCore(sink)
    rows = [{**r, "id": f"e{n}"} for n, r in enumerate(clean(rooms("room-a")))]
    events = [msgspec.json.decode(msgspec.json.encode(r), type=Event) for r in rows]
    found = core.process(TenantScanners(), "acme", events, lane="test")
    refused = [f for f in found if ".diversion." in f.rule_id]
    assert refused and len(sink.findings) == len(found) - len(refused) > 0
    assert [d.stage for d in sink.letters] == ["store-finding"] * len(refused)
    assert all("bigint" in d.error and d.attempts == 3 for d in sink.letters)
    assert sorted(d.event_id for d in sink.letters) == sorted(f.event_ids[0] for f in refused) == ["e2", "e2"]


FAR = 10**15  # ms: year 33658, which formatting a finding's time cannot take (issue #18's example)


def far_room(tag: str) -> list[dict]:
    """A room whose second chat line is stamped 10**15 ms; the others are ordinary."""
    return [
        {"type": "session_start", "room_id": tag, "ts": "2026-11-01T12:00:00Z", "session_id": "s", "id": f"{tag}-0"},
        {
            "type": "comment",
            "room_id": tag,
            "ts": FAR,
            "user_id": "u",
            "text": "加我微信 abc12345 领优惠",
            "id": f"{tag}-1",
        },
        {
            "type": "comment",
            "room_id": tag,
            "ts": "2026-11-01T12:00:09Z",
            "user_id": "u",
            "text": "加我微信 abc12345",
            "id": f"{tag}-2",
        },
    ]


def test_a_real_poison_past_the_door_does_not_stop_the_embedded_worker(embedded: Embedded) -> None:
    """The event the issue found (accepted before the door checked times) reaches the worker: it
    is dead-lettered with the formatting error, the room's next line and another tenant's room give
    their findings."""
    from clearlive.model.events import Event

    events = [msgspec.json.decode(msgspec.json.encode(r), type=Event) for r in far_room("room-far")]
    embedded.store.claim_rooms("acme", ["room-far"])
    embedded.pipeline.submit("acme", events)  # straight to the worker, as a store written before the checks
    embedded.ingest("other", clean(rooms("room-b")))
    assert len(embedded.found("other")) >= 5
    rows = embedded.store.db.query("SELECT record FROM findings WHERE tenant = 'acme'")
    assert any("room-far-2" in r[0] for r in rows)
    [letter] = embedded.store.dead_letters()
    assert (letter["event_id"], letter["stage"]) == ("room-far-1", "detect")
    assert "year 33658 is out of range" in letter["error"]
    assert embedded.client.get("/api/v1/health").json()["status"] == "degraded"

    # the dashboard tells the tenant's reviewers (and nobody else's); the admin API lists it
    for tenant, shown in (("acme", True), ("other", False)):
        key = embedded.store.create_key("reviewer", tenant)
        embedded.client.cookies.clear()
        assert embedded.client.post("/login", data={"key": key}, follow_redirects=False).status_code == 303
        page = embedded.client.get("/").text
        assert ('id="dead-letters"' in page and "1 event(s) of this tenant" in page) is shown
    embedded.client.cookies.clear()
    listed = embedded.client.get("/api/v1/dead-letters", headers={"Authorization": f"Bearer {embedded.admin}"}).json()
    assert [d["event_id"] for d in listed] == ["room-far-1"]
