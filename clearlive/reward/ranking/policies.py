"""Who gets the traffic: ranking live rooms under named policies (issue #6).

A candidate is a room a platform could show, with the engagement its recommender predicts and what
ClearLive knows of its host: the service score and its interval (or nothing yet), the credit
balance and recent confirmed violations. A policy turns that into one value per room; rooms are
shown in order of value.

- `traffic`: value = predicted engagement. What traffic-first platforms do.
- `service`: value = engagement x (service / 100) ^ weight. Traffic follows service.
- `blend`:  the service value x (credit / start) x exp(-penalty x recent violations): rule-breaking
  costs traffic on top of poor service.

A host with little data has a wide interval (or no score). How that uncertainty is used is the
`uncertainty` setting, which decides whether new honest hosts get a chance:

- `mean`: the point estimate (a host with no score counts as the prior, 50). Conservative.
- `ucb`: the interval's upper bound (optimism in the face of uncertainty): a new host is ranked as
  good as it could plausibly be, and learns its real place as its interval narrows.
- `thompson`: a draw from a Beta distribution matching the score and its interval, seeded: new hosts
  are tried in proportion to the chance that they are good.

Optimism alone would also reward new bad hosts; the blend's violation penalty is what stops a new
host caught breaking the rules from riding its wide interval.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from clearlive.measure.stats import competition_ranks

POLICIES = ("traffic", "service", "blend")
UNCERTAINTY = ("mean", "ucb", "thompson")


@dataclass(frozen=True)
class Candidate:
    room_id: str
    anchor_id: str
    predicted_engagement: float  # the recommender's prediction (views, clicks, expected GMV: any positive scale)
    score: float | None = None  # service score 0-100, None when the host has too little data
    interval: tuple[float, float] | None = None
    credit: float | None = None  # credit balance (None: unknown, treated as full)
    recent_violations: int = 0  # confirmed violations in the recent window


@dataclass(frozen=True)
class PolicyParams:
    service_weight: float = 2.0  # how steeply service bends traffic
    credit_start: float = 12.0
    violation_penalty: float = 0.5  # per recent violation, as an exponent
    prior_score: float = 50.0  # the service assumed for a host with no score under `mean`
    no_score_interval: tuple[float, float] = (0.0, 100.0)


@dataclass(frozen=True)
class Ranked:
    rank: int
    room_id: str
    anchor_id: str
    value: float
    service_used: float | None  # the service figure the policy used (estimate, bound or draw)
    factors: dict[str, float] = field(default_factory=dict)  # the value's parts, for explanations
    # The ranks the value could take with the service anywhere in its interval (the others' too):
    # [best, worst]; a policy that ignores service has no uncertainty here.
    rank_interval: tuple[int, int] | None = None


def service_figure(c: Candidate, uncertainty: str, params: PolicyParams, rng: random.Random) -> float:
    """The service (0-100) a policy uses for this candidate under the chosen treatment of uncertainty."""
    score = c.score if c.score is not None else params.prior_score
    low, high = c.interval if c.interval is not None and c.score is not None else params.no_score_interval
    if uncertainty == "mean":
        return score
    if uncertainty == "ucb":
        return high
    if uncertainty == "thompson":
        a, b = _beta_matching(score / 100, (low / 100, high / 100))
        return 100 * rng.betavariate(a, b)
    raise ValueError(f"unknown uncertainty {uncertainty!r}: one of {', '.join(UNCERTAINTY)}")


def _beta_matching(mean: float, interval: tuple[float, float]) -> tuple[float, float]:
    """A Beta distribution with this mean whose 90% interval is about this wide (normal
    approximation of its standard deviation: the interval's width over 3.29)."""
    mean = min(max(mean, 0.01), 0.99)
    sd = max((interval[1] - interval[0]) / 3.29, 1e-3)
    var = min(sd * sd, mean * (1 - mean) * 0.99)
    k = mean * (1 - mean) / var - 1
    return max(mean * k, 1e-3), max((1 - mean) * k, 1e-3)


def rank(
    candidates: list[Candidate],
    policy: str,
    uncertainty: str = "ucb",
    params: PolicyParams | None = None,
    seed: int = 0,
) -> list[Ranked]:
    """Candidates in the order the policy would show them (listed by room id among equals), with each
    value's parts. Equal values share a rank (1, 2, 2, 4): a tie is shown as a tie, not broken."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}: one of {', '.join(POLICIES)}")
    params = params or PolicyParams()
    rng = random.Random(seed)
    scored = []
    for c in sorted(candidates, key=lambda c: c.room_id):  # draws in a fixed order: same seed, same ranking
        engagement = max(c.predicted_engagement, 0.0)
        factors = {"engagement": engagement}
        service: float | None = None
        value = engagement
        if policy != "traffic":
            service = service_figure(c, uncertainty, params, rng)
            factors["service"] = (min(max(service, 0.0), 100.0) / 100) ** params.service_weight
            value *= factors["service"]
        if policy == "blend":
            credit = params.credit_start if c.credit is None else c.credit
            factors["credit"] = min(max(credit / params.credit_start, 0.0), 1.0)
            factors["violations"] = math.exp(-params.violation_penalty * c.recent_violations)
            value *= factors["credit"] * factors["violations"]
        scored.append((value, c, service, factors))
    scored.sort(key=lambda t: (-t[0], t[1].room_id))
    bounds = competition_ranks([(c.room_id, v, *_value_bounds(v, f, c, params)) for v, c, _, f in scored])
    out: list[Ranked] = []
    for i, (v, c, s, f) in enumerate(scored):
        shared = out and round(v, 6) == out[-1].value
        position = out[-1].rank if shared else i + 1
        _, best, worst = bounds[c.room_id]
        service = None if s is None else round(s, 3)
        out.append(
            Ranked(
                position, c.room_id, c.anchor_id, round(v, 6), service, f, (min(best, position), max(worst, position))
            )
        )
    return out


def _value_bounds(value: float, factors: dict[str, float], c: Candidate, params: PolicyParams) -> tuple[float, float]:
    """The value with the service at the low and the high end of its interval, the other parts kept."""
    if "service" not in factors:  # traffic alone: nothing uncertain
        return value, value
    low, high = c.interval if c.interval is not None and c.score is not None else params.no_score_interval
    rest = math.prod(v for k, v in factors.items() if k != "service")
    return tuple(rest * (min(max(x, 0.0), 100.0) / 100) ** params.service_weight for x in (low, high))


def traffic_shares(ranked: list[Ranked]) -> dict[str, float]:
    """How a platform would split traffic over the ranking: in proportion to value (the simulator's
    allocation). Zero value everywhere gives equal shares."""
    total = sum(r.value for r in ranked)
    if total <= 0:
        return {r.room_id: 1 / len(ranked) for r in ranked} if ranked else {}
    return {r.room_id: r.value / total for r in ranked}
