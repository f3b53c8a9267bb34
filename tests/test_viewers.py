"""Fake viewers in room statistics: honest rooms stay quiet, injected steps and frozen counts are
found, across intensities; figures for docs/evaluation.md come from the same grid."""

from __future__ import annotations

import random

import msgspec
import pytest

from clearlive.demo.inject import (
    honest_audience,
    inject_plateau,
    inject_viewer_ramp,
    inject_viewer_step,
    without_enters,
)
from clearlive.model.events import Event
from clearlive.watch.scan.scanner import ScanConfig, Scanner

T0 = 1_793_534_400_000


def findings(events: list[dict]) -> list:
    decoded = [msgspec.convert({**e, "id": f"e{i}"}, Event) for i, e in enumerate(events)]
    return [f for f in Scanner.from_config(ScanConfig()).run(decoded) if f.rule_id.startswith("fraud.viewers")]


@pytest.mark.parametrize("seed", range(12))
def test_honest_rooms_raise_no_alarm(seed: int) -> None:
    rng = random.Random(seed)
    peak = rng.choice([300, 1500, 8000, 40000])
    assert findings(honest_audience(rng, f"r{seed}", T0, rng.choice([20, 45, 60]), peak)) == []


@pytest.mark.parametrize(("factor", "expected"), [(0.5, True), (1.0, True), (3.0, True)])
def test_injected_step_is_found(factor: float, expected: bool) -> None:
    rng = random.Random(42)
    events = honest_audience(rng, "r", T0, 40, 2000)
    stepped = inject_viewer_step(events, T0 + 20 * 60_000, int(2000 * factor), 5 * 60_000)
    found = [f for f in findings(stepped) if f.rule_id == "fraud.viewers.step_jump"]
    assert bool(found) is expected
    f = found[0]
    assert (
        f.category == "fake_data"
        and f.facts["jump"] >= 2000 * factor * 0.8
        and f.facts["entries"] < f.facts["jump"] / 10
    )
    assert len(found) == 1  # the return to normal is a drop, not a second alarm


def test_small_step_within_noise_is_not_flagged() -> None:
    rng = random.Random(7)
    events = honest_audience(rng, "r", T0, 40, 2000)
    assert not findings(inject_viewer_step(events, T0 + 20 * 60_000, 100, 5 * 60_000))


def test_frozen_count_is_found() -> None:
    rng = random.Random(9)
    events = inject_plateau(honest_audience(rng, "r", T0, 30, 3000), T0 + 10 * 60_000, 3 * 60_000)
    found = [f for f in findings(events) if f.rule_id == "fraud.viewers.plateau"]
    assert len(found) == 1 and found[0].facts["samples"] >= 12


def test_rooms_without_enter_events_are_not_judged_on_jumps() -> None:
    rng = random.Random(5)
    events = [e for e in honest_audience(rng, "r", T0, 40, 2000) if e["type"] == "room_stats"]
    stepped = inject_viewer_step(events, T0 + 20 * 60_000, 4000, 5 * 60_000)
    assert not [f for f in findings(stepped) if f.rule_id == "fraud.viewers.step_jump"]


def test_like_burst_is_found_and_honest_likes_are_not() -> None:
    from clearlive.demo.inject import inject_like_burst

    rng = random.Random(11)
    events = honest_audience(rng, "r", T0, 30, 3000)
    assert not [f for f in findings(events) if f.rule_id == "fraud.viewers.like_burst"]
    burst = inject_like_burst(events, T0 + 12 * 60_000, 200_000)
    found = [f for f in findings(burst) if f.rule_id == "fraud.viewers.like_burst"]
    assert len(found) == 1 and found[0].facts["likes_added"] >= 200_000
    # an organic like storm (every viewer tapping twice a second for ten seconds) is not a burst
    storm = inject_like_burst(events, T0 + 12 * 60_000, 3000 * 20)
    assert not [f for f in findings(storm) if f.rule_id == "fraud.viewers.like_burst"]


def _room_with_chat(rng: random.Random, room: str, peak: int, chats_per_min: float, fake_factor: int = 1) -> list[dict]:
    events = honest_audience(rng, room, T0, 30, peak)
    out = []
    for e in events:
        if e["type"] == "room_stats":
            e = {**e, "online": e["online"] * fake_factor}
        out.append(e)
    t = 0.0
    while t < 30 * 60:
        t += rng.expovariate(chats_per_min / 60)
        out.append({"type": "comment", "room_id": room, "ts": T0 + int(t * 1000), "user_id": f"{room}-c", "text": "好"})
    return out


def test_silent_audience_against_the_population() -> None:
    rng = random.Random(21)
    rows = []
    for k in range(14):  # honest rooms: about one comment per 100 viewers a minute
        peak = rng.choice([500, 1000, 3000])
        rows += _room_with_chat(rng, f"h{k}", peak, peak / 100)
    rows += _room_with_chat(rng, "bought", 1000, 10, fake_factor=20)  # 20x the viewers, same chat
    found = [f for f in findings(sorted(rows, key=lambda e: e["ts"])) if f.rule_id == "fraud.viewers.silent_audience"]
    assert [f.room_id for f in found] == ["bought"]
    assert found[0].facts["rooms_compared"] == 15


def test_too_few_rooms_are_not_compared() -> None:
    rng = random.Random(22)
    rows = _room_with_chat(rng, "a", 1000, 10) + _room_with_chat(rng, "bought", 1000, 10, fake_factor=20)
    assert not [f for f in findings(sorted(rows, key=lambda e: e["ts"])) if "silent" in f.rule_id]


def test_gradual_ramp_is_found_with_its_numbers() -> None:
    # +100% of the audience over ten minutes, one tenth of it per minute: no single step is a jump
    rng = random.Random(3)
    events = inject_viewer_ramp(
        honest_audience(rng, "r", T0, 60, 8000), T0 + 25 * 60_000, 8000, 10 * 60_000, 5 * 60_000
    )
    found = findings(events)
    assert [f.rule_id for f in found][:1] == ["fraud.viewers.ramp"]
    assert not [f for f in found if f.rule_id == "fraud.viewers.step_jump"]
    f = found[0]
    assert f.facts["unexplained_share"] - f.facts["usual_unexplained_share"] >= 0.10
    assert T0 + 25 * 60_000 < f.ts_ms <= T0 + 40 * 60_000


@pytest.mark.parametrize("seed", range(6))
def test_feed_that_samples_half_its_enters_raises_no_ramp(seed: int) -> None:
    # Some clients report only a sample of joins; the room's own usual absorbs the missing half.
    rng = random.Random(seed)
    events = honest_audience(rng, f"r{seed}", T0, 60, rng.choice([1500, 8000, 40000]))
    sampled = [e for i, e in enumerate(events) if e["type"] != "enter" or i % 2 == 0]
    assert not [f for f in findings(sampled) if f.rule_id == "fraud.viewers.ramp"]


def test_engagement_drop_without_an_enter_feed() -> None:
    rng = random.Random(11)
    events = honest_audience(rng, "r", T0, 60, 3000)
    ramped = without_enters(inject_viewer_ramp(events, T0 + 30 * 60_000, 9000, 5 * 60_000, 5 * 60_000))
    found = [f for f in findings(ramped) if f.rule_id == "fraud.viewers.engagement_drop"]
    assert found and found[0].facts["engagement_per_viewer_minute"] < 0.25 * found[0].facts["usual_engagement"]
    assert not findings(without_enters(events))
