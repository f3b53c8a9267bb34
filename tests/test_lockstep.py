"""Lockstep accounts (CopyCatch): a bot farm visiting the same rooms at the same times."""

from __future__ import annotations

import random

import msgspec

from clearlive.demo import inject
from clearlive.model.events import Event
from clearlive.watch.scan.scanner import ScanConfig, Scanner

T0 = 1_793_534_400_000


def honest_visits(rng: random.Random, users: int, rooms: int, hours: int) -> list[dict]:
    return inject.honest_visits(rng, T0, users, rooms, hours)


def farm(rng: random.Random, bots: int, rooms: list[str]) -> list[dict]:
    return inject.lockstep_farm(rng, T0, bots, rooms)


def lockstep(rows: list[dict]) -> list:
    ordered = sorted(rows, key=lambda r: r["ts"])
    events = [msgspec.convert({**r, "id": f"e{i}"}, Event) for i, r in enumerate(ordered)]
    return [f for f in Scanner.from_config(ScanConfig()).run(events) if f.rule_id == "fraud.lockstep"]


def test_honest_visitors_are_quiet() -> None:
    assert lockstep(honest_visits(random.Random(1), 3000, 40, 10)) == []


def test_bot_farm_is_found() -> None:
    rng = random.Random(2)
    rooms = [f"room{k}" for k in range(6)]
    found = lockstep(honest_visits(rng, 2000, 40, 10) + farm(rng, 20, rooms))
    assert len(found) == 1
    f = found[0]
    assert f.category == "fake_data" and f.facts["n_accounts"] >= 18
    assert all(a.startswith("bot") for a in f.facts["accounts"])
    assert len(f.facts["rooms"]) >= 5


def test_a_small_farm_is_below_the_floor() -> None:
    rng = random.Random(3)
    found = lockstep(honest_visits(rng, 500, 40, 10) + farm(rng, 3, ["room1", "room2", "room3"]))
    assert found == []
