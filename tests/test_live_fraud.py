"""The second generator (clearlive/reward/simulation/live_fraud.py, written from published cases) against
the behaviour detectors: honest rooms of 50 to 50,000 viewers with their own rhythms stay quiet,
a host sending fans to a friend's room is not a raid, and each kind of fraud is found."""

from __future__ import annotations

import random
from collections import defaultdict

import msgspec
import pytest

from clearlive.model.events import Event
from clearlive.reward.simulation.live_fraud import KINDS, Room, fraud_room, friendly_promotion, honest_room
from clearlive.watch.scan.scanner import ScanConfig, Scanner


def fraud_rules(rooms: list[Room]) -> dict[str, set[str]]:
    rows = sorted((e for r in rooms for e in r.events), key=lambda e: e["ts"])
    events = [msgspec.convert({**e, "id": f"e{i}"}, Event) for i, e in enumerate(rows)]
    out: dict[str, set[str]] = defaultdict(set)
    for f in Scanner.from_config(ScanConfig(claims_model=None)).run(events):
        if f.rule_id.startswith("fraud."):
            out[f.room_id].add(f.rule_id)
    return out


def test_generator_is_seeded_and_sized() -> None:
    a = honest_room(random.Random(5), "r", 500, 30)
    b = honest_room(random.Random(5), "r", 500, 30)
    assert a.events == b.events and a.kind is None
    stats = [e["online"] for e in a.events if e["type"] == "room_stats"]
    assert 250 <= max(stats) <= 1500  # a peak of 500, with drift and the odd recommendation wave
    with pytest.raises(ValueError, match="unknown fraud kind"):
        fraud_room(random.Random(1), "r", "teleport", 1, 100, 30)


@pytest.mark.parametrize(("seed", "viewers"), [(1, 50), (2, 80), (3, 500), (4, 4000), (5, 15000), (6, 50000)])
def test_honest_rooms_of_every_size_stay_quiet(seed: int, viewers: int) -> None:
    room = honest_room(random.Random(seed), f"h{seed}", viewers, 45)
    assert fraud_rules([room])[room.room_id] == set()


def test_a_host_sending_fans_to_a_friend_is_not_a_raid() -> None:
    rooms = friendly_promotion(random.Random(7), "p", 1000, 40)
    assert fraud_rules(rooms) == {}


@pytest.mark.parametrize(
    ("kind", "intensity", "rule"),
    [
        ("audience", 3.0, "fraud.viewers.surge"),
        ("chat_ring", 30, "fraud.templated_chat"),
        ("like_farm", 300, "fraud.like_farm"),
        ("brushing", 8, "fraud.order_brushing"),
        ("raid", 20, "fraud.fan_raid.caller"),
    ],
)
def test_each_kind_is_found(kind: str, intensity: float, rule: str) -> None:
    assert kind in KINDS
    rooms = fraud_room(random.Random(11), f"{kind}-x", kind, intensity, 1000, 40)
    found = fraud_rules(rooms)
    assert any(r.startswith(rule) for r in found[rooms[0].room_id]), found
    if kind == "raid":  # the target room is told who came, and from where
        assert "fraud.fan_raid.target" in found[rooms[1].room_id]


def test_bought_audience_without_enter_events_is_a_surge_too() -> None:
    rooms = fraud_room(random.Random(12), "a", "audience", 2.0, 300, 40)
    quiet_feed = [Room(r.room_id, [e for e in r.events if e["type"] != "enter"]) for r in rooms]
    assert "fraud.viewers.surge" in fraud_rules(quiet_feed)["a"]
