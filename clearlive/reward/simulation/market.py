"""An agent-based live-commerce market: does traffic-first allocation let bad money drive out good?

Hosts sell one product each at the same price. A host's strategy is its product quality `q` (the
chance a buyer gets what was promised; better goods cost more) and its hype `x` (exaggeration,
staged scarcity, PK stunts: it raises predicted engagement and conversion, costs little, and
misleads a share of buyers). Buyers visit the platform while they trust it; each visit the platform
shows one room, chosen with probability in proportion to the room's value under the allocation
policy (clearlive.reward.ranking); a shown buyer may buy; a let-down buyer asks for a refund, complains and
trusts the platform less, and leaves for good below a trust floor; a pleased buyer may come back to
that host directly (a repeat purchase, outside the platform's allocation). Every `adapt_every`
rounds hosts imitate a more profitable host's strategy (with noise), and hosts with no sales for
`exit_after` rounds leave, replaced by newcomers with random strategies and no record.

The platform sees what ClearLive would: for each host, orders and bad outcomes (refunds and
complaints) over the last `memory` rounds, a share `information` of them, turned into a service score
with an interval exactly as `clearlive score` does (the bad-outcome rate with its Beta interval under
the fixed Jeffreys prior, mapped to 0-100 by a fixed benchmark scale, no score while the interval is
wider than `max_interval_width`); and the host's violations, caught with a probability that grows
with hype, for the credit balance.

Randomness comes from separate seeded streams (buyers' outcomes, the allocation, the policy's
draws, hosts' adaptation), so the same seed gives the same run, and a buyer's outcome does not
depend on which of several identical hosts served them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from clearlive.measure.stats import Scale, estimate_many
from clearlive.reward.ranking.policies import Candidate, PolicyParams, rank


@dataclass(frozen=True)
class MarketParams:
    hosts: int = 40
    buyers: int = 5000
    visit_prob: float = 0.6  # chance an active buyer visits in a round, times their trust
    loyalty: float = 0.35  # chance a buyer with a favourite host goes straight back to it
    price: float = 1.0
    value_good: float = 1.6  # what a good product is worth to the buyer
    value_bad: float = 0.2
    misled_loss: float = 0.5  # value lost when the pitch promised more than the product is
    hassle: float = 0.1  # cost to the buyer of a refund
    cost_base: float = 0.3  # a unit's cost: base + quality + hype terms
    cost_quality: float = 0.5
    cost_hype: float = 0.05
    conversion: float = 0.25  # chance a shown, trusting buyer buys at hype 0.5
    mislead_rate: float = 0.4  # chance a sale at hype 1 misleads the buyer
    refund_bad: float = 0.3  # chance a let-down buyer asks for a refund (many do not bother)
    complain_bad: float = 0.3
    trust_start: float = 0.8
    trust_gain: float = 0.03
    trust_loss: float = 0.15
    trust_floor: float = 0.3  # buyers below it leave the platform
    violation_rate: float = 0.5  # chance per round that a host at hype 1 is caught breaking a rule
    low_quality: float = 0.6  # hosts with q below this count as low quality
    information: float = 1.0  # share of outcomes the platform observes (0: it knows nothing)
    memory: int = 10  # rounds of outcomes behind a host's score
    # the benchmark of the bad-outcome rate (refund or complaint / order): the rates scoring 100, 60, 0
    bad_rate_excellent: float = 0.02
    bad_rate_standard: float = 0.08
    bad_rate_poor: float = 0.3
    max_interval_width: float = 60.0  # a wider 90% score interval: no score (the host is new or small)
    adapt_every: int = 3
    adapt_rate: float = 0.3  # share of hosts who look at another host each adaptation
    imitation: float = 0.5  # how far an imitating host moves toward the other's strategy
    mutation: float = 0.03
    exit_after: int = 5  # rounds without a sale before a host leaves (0: hosts never leave)
    uncertainty: str = "ucb"  # how the policy treats hosts with little data (see clearlive.reward.ranking)
    identical_hosts: bool = False  # every host starts with the same strategy (a known-answer check)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> MarketParams:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"unknown parameter(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**raw)


@dataclass
class _Host:
    id: str
    q: float
    x: float
    orders: list[int] = field(default_factory=list)  # observed orders per round (last `memory`)
    bad: list[int] = field(default_factory=list)  # observed refunds or complaints per round
    violations: list[int] = field(default_factory=list)  # per round, last 30
    profit: list[float] = field(default_factory=list)
    dry_rounds: int = 0


ROUND_FIELDS = (
    "round",
    "consumer_surplus",
    "refund_rate",
    "complaint_rate",
    "repeat_rate",
    "low_quality_traffic_share",
    "low_quality_gmv_share",
    "host_churn",
    "orders",
    "gmv",
    "active_buyers",
    "churned_buyers",
    "mean_trust",
    "mean_quality",
    "mean_hype",
)


def simulate(policy: str, rounds: int, seed: int, params: MarketParams | None = None) -> dict[str, Any]:
    """Run the market; CONTRACT section 6: {"policy", "seed", "rounds": [...]} (plus "params")."""
    p = params or MarketParams()
    streams = np.random.SeedSequence(seed).spawn(4)
    rng_buyers, rng_alloc, rng_hosts = (np.random.default_rng(s) for s in streams[:3])
    policy_seed = int(streams[3].generate_state(1)[0])
    hosts = [_new_host(i, rng_hosts, p) for i in range(p.hosts)]
    next_id = p.hosts
    trust = np.full(p.buyers, p.trust_start)
    active = np.ones(p.buyers, dtype=bool)
    favourite = np.full(p.buyers, -1)  # index into hosts of the host a buyer liked, or -1
    out_rounds = []
    for r in range(1, rounds + 1):
        n = len(hosts)
        q = np.array([h.q for h in hosts])
        x = np.array([h.x for h in hosts])
        # The platform ranks the rooms under the policy and splits traffic in proportion to value.
        candidates = _candidates(hosts, p)
        ranked = rank(candidates, policy, p.uncertainty, PolicyParams(), seed=policy_seed + r)
        value = {c.room_id: c.value for c in ranked}
        weights = np.array([value[f"room-{h.id}"] for h in hosts])
        shares = weights / weights.sum() if weights.sum() > 0 else np.full(n, 1 / n)
        # Buyers: every draw is made for every buyer, in buyer order, whatever happens next.
        u_visit, u_loyal, u_buy, u_good, u_misled, u_refund, u_complain = rng_buyers.random((7, p.buyers))
        allocated = rng_alloc.choice(n, size=p.buyers, p=shares)
        visiting = active & (u_visit < p.visit_prob * trust)
        loyal = visiting & (favourite >= 0) & (u_loyal < p.loyalty)
        shown = np.where(loyal, favourite, allocated)
        hype = x[shown]
        buys = visiting & (loyal | (u_buy < p.conversion * (0.5 + hype) * trust))
        good = u_good < q[shown]
        misled = u_misled < p.mislead_rate * hype
        let_down = buys & (~good | misled)
        refund = let_down & (u_refund < p.refund_bad)
        complain = let_down & (u_complain < p.complain_bad)
        value_got = np.where(good, p.value_good, p.value_bad) - np.where(misled, p.misled_loss, 0.0)
        surplus = np.where(refund, -p.hassle, value_got - p.price)
        # Buyers learn: trust, favourites, leaving.
        pleased = buys & ~let_down
        trust = np.clip(trust + np.where(pleased, p.trust_gain, 0.0) - np.where(let_down, p.trust_loss, 0.0), 0, 1)
        # a buyer let down on going back to their favourite forgets it (decided without looking at
        # which host the platform showed, so identical hosts give identical markets)
        favourite = np.where(pleased, shown, np.where(let_down & loyal, -1, favourite))
        leaving = active & (trust < p.trust_floor)
        active &= ~leaving
        # Hosts: sales, profit, what the platform observes.
        sales = np.bincount(shown[buys], minlength=n)
        refunds = np.bincount(shown[refund], minlength=n)
        bad_seen = np.bincount(shown[buys & (refund | complain)], minlength=n)
        unit_cost = p.cost_base + p.cost_quality * q + p.cost_hype * x
        profit = sales * (p.price - unit_cost) - refunds * p.price
        caught = rng_hosts.random(n) < p.violation_rate * x
        for i, h in enumerate(hosts):
            seen = rng_hosts.binomial(int(sales[i]), p.information) if p.information < 1 else int(sales[i])
            seen_bad = min(
                seen, rng_hosts.binomial(int(bad_seen[i]), p.information) if p.information < 1 else int(bad_seen[i])
            )
            h.orders = [*h.orders, seen][-p.memory :]
            h.bad = [*h.bad, seen_bad][-p.memory :]
            h.violations = [*h.violations, int(caught[i])][-30:]
            h.profit = [*h.profit, float(profit[i])][-p.adapt_every :]
            h.dry_rounds = 0 if sales[i] else h.dry_rounds + 1
        traffic = np.bincount(shown[visiting & ~loyal], minlength=n)
        low = q < p.low_quality
        n_orders = int(buys.sum())
        round_out = {
            "round": r,
            "consumer_surplus": round(float(surplus[buys].sum()), 4),
            "refund_rate": _ratio(int(refund.sum()), n_orders),
            "complaint_rate": _ratio(int(complain.sum()), n_orders),
            "repeat_rate": _ratio(int((buys & loyal).sum()), n_orders),
            "low_quality_traffic_share": _ratio(int(traffic[low].sum()), int(traffic.sum())),
            "low_quality_gmv_share": _ratio(int(sales[low].sum()), n_orders),
            "host_churn": 0.0,
            "orders": n_orders,
            "gmv": round(n_orders * p.price, 4),
            "active_buyers": int(active.sum()),
            "churned_buyers": int((~active).sum()),
            "mean_trust": round(float(trust[active].mean()) if active.any() else 0.0, 4),
            "mean_quality": round(float(np.average(q, weights=traffic)) if traffic.sum() else float(q.mean()), 4),
            "mean_hype": round(float(np.average(x, weights=traffic)) if traffic.sum() else float(x.mean()), 4),
        }
        # Hosts adapt toward what earned money, and the unsold leave.
        if p.adapt_every and r % p.adapt_every == 0:
            _adapt(hosts, rng_hosts, p)
        if p.exit_after:
            gone = [i for i, h in enumerate(hosts) if h.dry_rounds >= p.exit_after]
            for i in gone:
                hosts[i] = _new_host(next_id, rng_hosts, p)
                next_id += 1
                favourite[favourite == i] = -1  # a buyer's favourite host has left
            round_out["host_churn"] = _ratio(len(gone), n)
        out_rounds.append(round_out)
    return {"policy": policy, "seed": seed, "params": asdict(p), "rounds": out_rounds}


def _ratio(a: int, b: int) -> float:
    return round(a / b, 6) if b else 0.0


def _new_host(i: int, rng: np.random.Generator, p: MarketParams) -> _Host:
    if p.identical_hosts:
        return _Host(f"h{i}", 0.75, 0.5)
    return _Host(f"h{i}", float(rng.uniform(0.3, 1.0)), float(rng.uniform(0.0, 1.0)))


def _candidates(hosts: list[_Host], p: MarketParams) -> list[Candidate]:
    """What the platform knows of each host, as ClearLive would score it."""
    counts = [(sum(h.bad), sum(h.orders)) for h in hosts]
    seen = [i for i, (_, n) in enumerate(counts) if n > 0]
    rates = dict(zip(seen, estimate_many([counts[i] for i in seen], 0.9), strict=True))
    scale = Scale(p.bad_rate_excellent, p.bad_rate_standard, p.bad_rate_poor)
    out = []
    for i, h in enumerate(hosts):
        score = interval = None
        if i in rates:
            low, high = scale.interval(rates[i])
            if high - low <= p.max_interval_width:
                score, interval = scale.score(rates[i].point), (low, high)
        violations = sum(h.violations)
        out.append(
            Candidate(
                room_id=f"room-{h.id}",
                anchor_id=h.id,
                predicted_engagement=0.2 + h.x,  # hype is what a traffic-first recommender predicts
                score=score,
                interval=interval,
                credit=max(0.0, 12.0 - 3.0 * violations),
                recent_violations=sum(h.violations[-5:]),
            )
        )
    return out


def _adapt(hosts: list[_Host], rng: np.random.Generator, p: MarketParams) -> None:
    earned = [sum(h.profit) for h in hosts]
    for i, h in enumerate(hosts):
        if rng.random() >= p.adapt_rate:
            continue
        j = int(rng.integers(len(hosts)))
        if earned[j] > earned[i]:
            h.q += p.imitation * (hosts[j].q - h.q)
            h.x += p.imitation * (hosts[j].x - h.x)
        h.q = float(np.clip(h.q + rng.normal(0, p.mutation), 0.05, 1.0))
        h.x = float(np.clip(h.x + rng.normal(0, p.mutation), 0.0, 1.0))


def summary(run: dict[str, Any], last: int = 10) -> dict[str, float]:
    """Means of the last `last` rounds: the market's settled state under a policy."""
    tail = run["rounds"][-last:]
    keys = [k for k in ROUND_FIELDS if k != "round"]
    return {k: round(math.fsum(r[k] for r in tail) / len(tail), 4) for k in keys}
