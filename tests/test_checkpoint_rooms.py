"""Checkpoints that pickle again only the rooms that changed (issue 21 item 4): a service restarted
from any of them reports what one uninterrupted scanner reports."""

from __future__ import annotations

import pickle
import random
from pathlib import Path
from unittest.mock import patch

import msgspec

from clearlive.checkpointing import RoomPickles, loads_state
from clearlive.model.events import Event, EventBase
from clearlive.reward.simulation.live_fraud import fraud_room
from clearlive.serve.embedded import TenantScanners
from tests.test_lifecycle import copies, realistic_stream


def stream(tmp_path: Path) -> list[EventBase]:
    """The demo's rooms, the lifecycle test's rooms, and generated rooms with chat rings and a fan
    raid (whose calls refer to the caller's room from the cross-room state)."""
    events = list(realistic_stream(tmp_path))
    rng = random.Random(11)
    extra: list[dict] = []  # type: ignore[type-arg]
    for k, (kind, intensity) in enumerate((("chat_ring", 12), ("raid", 8), ("chat_ring", 30))):
        for room in fraud_room(rng, f"sim-{k}", kind=kind, intensity=intensity, peak=300, minutes=15):
            extra += room.events
    events += [msgspec.convert(e, Event) for e in extra]
    return sorted(events, key=lambda e: (e.ts, e.id or ""))


def findings(run: list) -> list[bytes]:  # type: ignore[type-arg]
    return [msgspec.json.encode(f) for f in run]


def run_through(events: list[EventBase], part: str, every: int = 0, restart_each: int = 0) -> tuple[list, list[int]]:  # type: ignore[type-arg]
    """Findings of `events` fed 250 at a time; with `every`, a checkpoint after that many batches,
    and with `restart_each`, a fresh worker restored from every that-many-th checkpoint."""
    scanners = TenantScanners(part=part)
    out: list = []  # type: ignore[type-arg]
    reused: list[int] = []
    checkpoints = 0
    for n, i in enumerate(range(0, len(events), 250), start=1):
        out += scanners.process("t1", events[i : i + 250])
        if every and n % every == 0:
            blob = scanners.checkpoint()
            checkpoints += 1
            assert scanners._pickles is not None
            reused.append(scanners._pickles.reused)
            if restart_each and checkpoints % restart_each == 0:
                scanners = TenantScanners(part=part)
                scanners.restore_from(blob)
    return out, reused


def test_a_worker_restarted_from_checkpoints_of_changed_rooms_reports_what_one_scanner_reports(tmp_path: Path) -> None:
    events = stream(tmp_path)
    with patch.object(TenantScanners, "APART_SHARE", 1.0):  # rooms apart at every checkpoint ...
        same_findings_from_checkpoints(events)
    same_findings_from_checkpoints(events)  # ... and only when few changed (the default)


def same_findings_from_checkpoints(events: list[EventBase]) -> None:
    apart = TenantScanners.APART_SHARE == 1.0
    for part in ("all", "rooms", "cross"):
        straight, _ = run_through(copies(events), part)
        assert straight
        for every, restart_each in ((1, 1), (2, 3), (5, 1)):
            again, reused = run_through(copies(events), part, every, restart_each)
            assert findings(again) == findings(straight), (part, every, restart_each)
            if apart and part != "cross" and every == 2:
                assert any(reused), "no checkpoint copied an unchanged room"  # the point of it


def test_rooms_referred_to_from_elsewhere_come_back_as_the_same_objects(tmp_path: Path) -> None:
    """One pickle of the whole state keeps a room that two places refer to as one object; the
    checkpoint of rooms apart must too (a fan-raid call and the live rooms share the caller's room)."""
    scanners = TenantScanners()
    events = copies(stream(tmp_path))
    scanners.process("t1", events[: len(events) // 2])
    state = loads_state(scanners.checkpoint())
    scanner_state = state["scanners"]["t1"]
    rooms = scanner_state["rooms"]
    calls = scanner_state["detectors"]["fraud.fan_raid"]["calls"]
    shared = [c for c in calls if c.room_id in rooms]
    for call in shared:
        assert call.room is rooms[call.room_id]
    assert loads_state(pickle.dumps({"scanners": {}, "seen": {}})) == {"scanners": {}, "seen": {}}  # before


def test_a_room_referring_to_another_is_pickled_whole() -> None:
    from clearlive.watch.detectors.base import RoomState

    a, b = RoomState("a"), RoomState("b")
    a.slots["other"] = b
    blob = RoomPickles().dumps({"rooms": {"a": a, "b": b}}, {}, RoomState)
    back = loads_state(blob)
    assert back["rooms"]["a"].slots["other"] is back["rooms"]["b"]
