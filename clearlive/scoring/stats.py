"""Honest numbers from small counts: shrunk rates with credible intervals, and scores by rank.

A shop with 3 orders and no bad review has not shown a 0% bad-review rate; it has shown almost
nothing. Each rate is therefore the median of a Beta posterior whose prior is the category's
pooled rate, worth `strength` orders (empirical-Bayes shrinkage, as in the Beta-binomial models
behind review-site ratings), and carries the posterior's equal-tailed interval. The median, not
the mean: with rare events the posterior is so skewed that its mean can lie outside its interval. The score of a rate is
its standing among the other entities of the benchmark (0 = worst, 100 = best, mid-rank for
ties), so it reads like a platform's "rank within the industry"; the interval maps the rate's
bounds through the same standing.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import numpy as np
from scipy.special import betaincinv

EPS = 1e-4


@dataclass(frozen=True)
class Rate:
    x: int  # events (bad reviews, refunds, repeat buyers, ...)
    n: int  # opportunities (orders, buyers, chats, ...)
    point: float  # shrunk rate (posterior median)
    low: float
    high: float


def pooled(counts: list[tuple[int, int]]) -> float | None:
    """The pooled rate of a group (sum of events / sum of opportunities), None when it saw nothing."""
    total = sum(n for _, n in counts)
    return sum(x for x, _ in counts) / total if total else None


def shrunk(x: int, n: int, prior: float, strength: float, level: float) -> Rate:
    return shrunk_many([(x, n)], [prior], strength, level)[0]


def shrunk_many(counts: list[tuple[int, int]], priors: list[float], strength: float, level: float) -> list[Rate]:
    """`shrunk` for many rates at once (one vectorised call: thousands of shops cost milliseconds)."""
    if not counts:
        return []
    x = np.array([c[0] for c in counts], dtype=float)
    n = np.array([c[1] for c in counts], dtype=float)
    p = np.clip(np.array(priors, dtype=float), EPS, 1 - EPS)
    a, b = x + strength * p, n - x + strength * (1 - p)
    tail = (1 - level) / 2
    low, median, high = (betaincinv(a, b, q) for q in (tail, 0.5, 1 - tail))
    return [
        Rate(int(xi), int(ni), float(m), float(lo), float(hi))
        for xi, ni, m, lo, hi in zip(x, n, median, low, high, strict=True)
    ]


class Standing:
    """Where a rate stands among a benchmark's rates, as a score from 0 (worst) to 100 (best)."""

    def __init__(self, rates: list[float], lower_is_better: bool) -> None:
        self.sorted = sorted(rates)
        self.lower_is_better = lower_is_better

    def score(self, rate: float) -> float:
        n = len(self.sorted)
        if n == 0:
            return 50.0
        below, above = bisect_left(self.sorted, rate), n - bisect_right(self.sorted, rate)
        ties = n - below - above
        worse = above if self.lower_is_better else below
        return 100.0 * (worse + 0.5 * ties) / n

    def interval(self, rate: Rate) -> tuple[float, float]:
        a, b = self.score(rate.low), self.score(rate.high)
        return (min(a, b), max(a, b))


def weighted(parts: list[tuple[float, float, float, float]]) -> tuple[float, float, float] | None:
    """Weighted mean of (weight, score, low, high) parts that exist; None when none does."""
    total = sum(w for w, *_ in parts)
    if not total:
        return None
    return tuple(sum(w * v[i] for w, *v in parts) / total for i in range(3))  # type: ignore[return-value]
