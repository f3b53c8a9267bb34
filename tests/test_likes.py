"""Like farms, account by account: machine-sized likes from a handful of accounts fire; keen fans,
like storms the host asked for and one fast thumb do not."""

from __future__ import annotations

import random

import msgspec

from clearlive.model.events import Event
from clearlive.watch.scan.scanner import ScanConfig, Scanner

T0 = 1_793_534_400_000


def like(t_ms: int, user: str, count: int, i: int) -> dict:
    return {"type": "like", "room_id": "r", "ts": T0 + t_ms, "id": f"l{i}", "user_id": user, "count": count}


def honest_likes(rng: random.Random, minutes: int, likers: int, storm_at_s: int | None = None) -> list[dict]:
    """Likers tapping a few to a dozen times a moment; a storm (the host asks) quadruples the pace."""
    rows = []
    for s in range(minutes * 60):
        pace = 4 if storm_at_s is not None and storm_at_s <= s < storm_at_s + 60 else 1
        for _ in range(rng.randint(0, 3) * pace):
            rows.append(
                like(s * 1000 + rng.randrange(1000), f"u{rng.randrange(likers)}", rng.randint(1, 15), len(rows))
            )
    return rows


def farm_findings(rows: list[dict]) -> list:
    events = [msgspec.convert(r, Event) for r in sorted(rows, key=lambda r: r["ts"])]
    return [f for f in Scanner.from_config(ScanConfig(claims_model=None)).run(events) if f.rule_id == "fraud.like_farm"]


def test_a_handful_of_accounts_sending_hundreds_per_event_is_a_farm() -> None:
    rows = honest_likes(random.Random(1), 20, 300)
    rows += [
        like(600_000 + k * 7_000 + b * 500, f"farm{b}", 400, 10_000 + 10 * b + k) for b in range(4) for k in range(5)
    ]
    found = farm_findings(rows)
    assert len(found) == 1
    assert set(found[0].facts["accounts"]) <= {f"farm{b}" for b in range(4)} and found[0].facts["n_accounts"] >= 2
    assert found[0].category == "fake_data"
    assert f"from {found[0].facts['n_accounts']} accounts" in found[0].evidence.text


def test_honest_likes_and_a_requested_storm_are_quiet() -> None:
    assert farm_findings(honest_likes(random.Random(2), 30, 200, storm_at_s=600)) == []


def test_one_keen_fan_at_four_taps_a_second_is_not_a_farm() -> None:
    rows = honest_likes(random.Random(3), 20, 300)
    rows += [like(300_000 + k * 2_500, "keen", 10, 20_000 + k) for k in range(60)]  # 240 a minute for 2.5 min
    assert farm_findings(rows) == []


def test_one_account_over_the_cap_needs_three_times_it() -> None:
    rows = honest_likes(random.Random(4), 20, 300)
    near = rows + [like(300_000 + k * 10_000, "fast", 100, 30_000 + k) for k in range(6)]  # 600 in a minute
    assert farm_findings(near) == []
    far = rows + [like(300_000 + k * 5_000, "bot", 100, 30_000 + k) for k in range(12)]  # 1,200 in a minute
    assert [f.facts["accounts"] for f in farm_findings(far)] == [["bot"]]


def test_single_events_of_hundreds_from_a_handful_of_accounts_are_a_farm() -> None:
    rows = honest_likes(random.Random(5), 20, 300)
    rows += [like(600_000 + b * 20_000, f"farm{b}", 200, 40_000 + b) for b in range(3)]  # one event each
    found = farm_findings(rows)
    assert len(found) == 1 and set(found[0].facts["accounts"]) <= {"farm0", "farm1", "farm2"}
    one = [*honest_likes(random.Random(5), 20, 300), like(600_000, "farm0", 200, 40_000)]
    assert farm_findings(one) == []  # one such event alone: below the solo floor
