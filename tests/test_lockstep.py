"""Lockstep accounts (CopyCatch): a bot farm visiting the same rooms at the same times."""

from __future__ import annotations

import random

import msgspec

from clearlive.model.events import Event
from clearlive.pipeline.scan import ScanConfig, Scanner

T0 = 1_793_534_400_000


def enter(room: str, user: str, t_ms: int, i: int) -> dict:
    return {"type": "enter", "room_id": room, "user_id": user, "ts": T0 + t_ms, "id": f"e{i}"}


def honest_visits(rng: random.Random, users: int, rooms: int, hours: int) -> list[dict]:
    rows = []
    for u in range(users):
        for _ in range(rng.randint(1, 6)):
            rows.append(enter(f"room{rng.randrange(rooms)}", f"u{u}", rng.randrange(hours * 3_600_000), len(rows)))
    return rows


def farm(rng: random.Random, bots: int, rooms: list[str], start: int) -> list[dict]:
    rows = []
    for k, room in enumerate(rooms):
        at = k * 3_600_000 + rng.randrange(3_000_000)  # one visit an hour, all bots within a minute
        for b in range(bots):
            rows.append(enter(room, f"bot{b}", at + rng.randrange(60_000), start + len(rows)))
    return rows


def lockstep(rows: list[dict]) -> list:
    events = [msgspec.convert(r, Event) for r in sorted(rows, key=lambda r: r["ts"])]
    return [f for f in Scanner.from_config(ScanConfig()).run(events) if f.rule_id == "fraud.lockstep"]


def test_honest_visitors_are_quiet() -> None:
    assert lockstep(honest_visits(random.Random(1), 3000, 40, 10)) == []


def test_bot_farm_is_found() -> None:
    rng = random.Random(2)
    rooms = [f"room{k}" for k in range(6)]
    found = lockstep(honest_visits(rng, 2000, 40, 10) + farm(rng, 20, rooms, 1_000_000))
    assert len(found) == 1
    f = found[0]
    assert f.category == "fake_data" and f.facts["n_accounts"] >= 18
    assert all(a.startswith("bot") for a in f.facts["accounts"])
    assert len(f.facts["rooms"]) >= 5


def test_a_small_farm_is_below_the_floor() -> None:
    rng = random.Random(3)
    found = lockstep(honest_visits(rng, 500, 40, 10) + farm(rng, 3, ["room1", "room2", "room3"], 1_000_000))
    assert found == []
