"""Ranking live rooms under allocation policies: who gets traffic, and how new hosts are treated."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from clearlive.reward.ranking import Candidate, rank, traffic_shares

PROVEN_GOOD = Candidate("r-good", "good", 100.0, score=80.0, interval=(72.0, 88.0), credit=12, recent_violations=0)
PROVEN_BAD = Candidate("r-bad", "bad", 300.0, score=15.0, interval=(8.0, 22.0), credit=3, recent_violations=3)
NEW_HONEST = Candidate("r-new", "new", 100.0)  # no score yet: too few orders
NEW_CHEAT = Candidate("r-cheat", "cheat", 100.0, recent_violations=3, credit=3)


def order(policy: str, uncertainty: str = "ucb", candidates: list[Candidate] | None = None) -> list[str]:
    cands = candidates or [PROVEN_GOOD, PROVEN_BAD, NEW_HONEST, NEW_CHEAT]
    return [r.anchor_id for r in rank(cands, policy, uncertainty)]


def test_traffic_policy_follows_predicted_engagement_only() -> None:
    assert order("traffic")[0] == "bad"
    assert order("traffic")[1:] == ["cheat", "good", "new"]  # equal engagement: by room id


def test_service_policy_sends_traffic_to_the_good_host() -> None:
    ranked = order("service", "mean")
    assert ranked.index("good") < ranked.index("bad")  # 3x the engagement does not buy poor service


def test_new_honest_hosts_are_explored_not_starved() -> None:
    assert order("service", "mean").index("new") > order("service", "mean").index("good")  # prior 50 < 80
    ucb = order("service", "ucb")
    assert ucb.index("new") < ucb.index("good")  # optimism: it could be as good as 100


def test_new_hosts_breaking_rules_are_not_rewarded_for_being_new() -> None:
    ranked = order("blend", "ucb")
    assert ranked.index("cheat") > ranked.index("good")
    assert ranked.index("cheat") > ranked.index("new")
    cheat = next(r for r in rank([NEW_CHEAT], "blend", "ucb"))
    assert cheat.factors["violations"] == pytest.approx(0.2231, abs=1e-3)  # exp(-0.5 * 3)
    assert cheat.factors["credit"] == 0.25


def test_thompson_draws_are_seeded_and_centred_on_the_score() -> None:
    a = rank([PROVEN_GOOD, NEW_HONEST], "service", "thompson", seed=7)
    assert a == rank([PROVEN_GOOD, NEW_HONEST], "service", "thompson", seed=7)
    draws = [rank([PROVEN_GOOD], "service", "thompson", seed=s)[0].service_used for s in range(400)]
    mean = sum(draws) / len(draws)  # type: ignore[arg-type]
    assert 77 < mean < 83 and min(draws) > 60 and max(draws) < 97  # type: ignore[type-var]
    new = [rank([NEW_HONEST], "service", "thompson", seed=s)[0].service_used for s in range(400)]
    assert max(new) - min(new) > 60  # type: ignore[operator]  # a new host is anything from poor to excellent


def test_shares_split_traffic_by_value() -> None:
    shares = traffic_shares(rank([PROVEN_GOOD, PROVEN_BAD], "traffic"))
    assert shares == {"r-bad": 0.75, "r-good": 0.25}
    assert sum(traffic_shares(rank([PROVEN_GOOD, NEW_CHEAT, NEW_HONEST], "blend")).values()) == pytest.approx(1)


def test_unknown_policy_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown policy"):
        rank([PROVEN_GOOD], "engagement")


def test_rank_cli_takes_hosts_from_score_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from clearlive.cli.main import main
    from clearlive.demo.commerce import generate_history

    hist = generate_history(tmp_path / "h.jsonl", days=60)
    scores = tmp_path / "scores.jsonl"
    assert main(["score", str(hist), "--out", str(scores), "--no-scan"]) == 0
    candidates = tmp_path / "candidates.jsonl"
    rows = [
        {"room_id": "room-host-qiang", "anchor_id": "host-qiang", "predicted_engagement": 900},
        {"room_id": "room-host-lin", "anchor_id": "host-lin", "predicted_engagement": 300},
        {"room_id": "room-host-x", "anchor_id": "host-x", "predicted_engagement": 300},
    ]
    candidates.write_bytes(b"\n".join(msgspec.json.encode(r) for r in rows))
    capsys.readouterr()
    assert main(["rank", str(candidates), "--scores", str(scores), "--policy", "traffic"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert msgspec.json.decode(first)["anchor_id"] == "host-qiang"
    assert main(["rank", str(candidates), "--scores", str(scores), "--policy", "service", "--uncertainty", "mean"]) == 0
    out = [msgspec.json.decode(x) for x in capsys.readouterr().out.splitlines()]
    assert out[0]["anchor_id"] == "host-lin" and out[0]["service_used"] > 60
    assert [r["anchor_id"] for r in out] == ["host-lin", "host-x", "host-qiang"]  # 3x the traffic, poor service
    assert out[1]["service_used"] == 50  # no score: the prior's 50 under `mean`
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"room_id": "r", "anchor_id": "a"}\n', encoding="utf-8")
    assert main(["rank", str(bad)]) == 2
    assert "bad.jsonl:1" in capsys.readouterr().err


def test_equal_values_share_a_rank() -> None:
    twins = [Candidate("r-a", "a", 100.0), Candidate("r-b", "b", 100.0), Candidate("r-c", "c", 50.0)]
    assert [(r.rank, r.room_id) for r in rank(twins, "traffic")] == [(1, "r-a"), (1, "r-b"), (3, "r-c")]


def test_each_rank_comes_with_the_ranks_its_service_interval_allows() -> None:
    sure = Candidate("sure", "h1", 100.0, score=85.0, interval=(82.0, 88.0))
    close = Candidate("close", "h2", 100.0, score=80.0, interval=(60.0, 90.0))
    poor = Candidate("poor", "h3", 100.0, score=40.0, interval=(35.0, 45.0))
    unknown = Candidate("new", "h4", 100.0)
    by_room = {r.room_id: r for r in rank([sure, close, poor, unknown], "service", "mean")}
    assert [by_room[k].rank for k in ("sure", "close", "new", "poor")] == [1, 2, 3, 4]
    for r in by_room.values():
        assert r.rank_interval is not None and r.rank_interval[0] <= r.rank <= r.rank_interval[1]
    assert by_room["sure"].rank_interval == (1, 3)  # the wide "close" and the unscored host may pass it
    assert by_room["poor"].rank_interval == (3, 4)  # "sure" and "close" are certainly better; "new" may not be
    assert by_room["new"].rank_interval == (1, 4)  # no score: anywhere
    # Traffic alone has no service uncertainty: distinct values give single ranks.
    traffic = rank([sure, Candidate("small", "h5", 10.0, score=99.0, interval=(98.0, 100.0))], "traffic")
    assert [r.rank_interval for r in traffic] == [(1, 1), (2, 2)]
