"""Honest numbers from counts: rates with intervals, and scores on a fixed, absolute scale.

A rate is events over opportunities (bad reviews over delivered orders, ...). Its estimate is the
observed share `x / n`; its uncertainty is the equal-tailed interval of the Beta posterior under a
fixed, weak prior (Jeffreys, Beta(1/2, 1/2), by default: Brown, Cai and DasGupta 2001 recommend
its interval for binomial proportions). The prior is the same for every entity and never looks at
the other entities, so no shop's numbers depend on who else is scored, and it only shapes the
interval: a shop with ten times the orders and the same service has the same estimate and a
narrower interval. (Shrinking the estimate toward a prior centre instead moves small shops by
their volume, which is what made the old scores follow traffic.)

A rate becomes a score through its metric's `Scale`: fixed benchmark rates per category that map
to 100 (excellent), 60 (the platform standard) and 0 (poor), straight lines in between, clamped.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import numpy as np

EXCELLENT, STANDARD, POOR = 100.0, 60.0, 0.0


@dataclass(frozen=True)
class Rate:
    x: int  # events (bad reviews, refunds, repeat buyers, ...)
    n: int  # opportunities (orders, buyers, chats, ...)
    point: float  # the estimate: the observed share x / n
    low: float
    high: float


def estimate(x: int, n: int, level: float, prior: tuple[float, float] = (0.5, 0.5)) -> Rate:
    return estimate_many([(x, n)], level, prior)[0]


def estimate_many(counts: list[tuple[int, int]], level: float, prior: tuple[float, float] = (0.5, 0.5)) -> list[Rate]:
    """`estimate` for many rates at once (one vectorised call: thousands of shops cost milliseconds).
    Every count needs n >= 1."""
    if not counts:
        return []
    x = np.array([c[0] for c in counts], dtype=float)
    n = np.array([c[1] for c in counts], dtype=float)
    if (n < 1).any() or (x < 0).any() or (x > n).any():
        raise ValueError("every rate needs 0 <= x <= n and n >= 1")
    from scipy.special import betaincinv  # SciPy loads when scores are computed, not with the ranking policies

    a, b = x + prior[0], n - x + prior[1]
    tail = (1 - level) / 2
    low, high = betaincinv(a, b, tail), betaincinv(a, b, 1 - tail)
    point = x / n
    # x = 0 (or x = n) is as good (or bad) as it gets: the bound on that side is the edge itself
    low = np.where(x == 0, 0.0, np.minimum(low, point))
    high = np.where(x == n, 1.0, np.maximum(high, point))
    return [
        Rate(int(xi), int(ni), float(p), float(lo), float(hi))
        for xi, ni, p, lo, hi in zip(x, n, point, low, high, strict=True)
    ]


@dataclass(frozen=True)
class Scale:
    """A metric's benchmark: the rates that score 100, 60 and 0. Lower is better when
    excellent < poor (bad-event rates), higher when excellent > poor (on-time, repeat buyers)."""

    excellent: float
    standard: float
    poor: float

    def __post_init__(self) -> None:
        e, s, p = self.excellent, self.standard, self.poor
        if not (e < s < p or e > s > p):
            raise ValueError(f"benchmark rates must run excellent, standard, poor in one direction: {e}, {s}, {p}")

    def score(self, rate: float) -> float:
        xs, ys = [self.excellent, self.standard, self.poor], [EXCELLENT, STANDARD, POOR]
        if self.excellent > self.poor:  # np.interp wants increasing x
            xs, ys = xs[::-1], ys[::-1]
        return float(np.interp(rate, xs, ys))

    def interval(self, rate: Rate) -> tuple[float, float]:
        a, b = self.score(rate.low), self.score(rate.high)
        return (min(a, b), max(a, b))


def weighted(parts: list[tuple[float, float, float, float]]) -> tuple[float, float, float] | None:
    """Weighted mean of (weight, score, low, high) parts that exist; None when none does. The bounds
    are averaged as they are (as if the parts erred together), which never understates the width."""
    total = sum(w for w, *_ in parts)
    if not total:
        return None
    score, low, high = (sum(w * v[i] for w, *v in parts) / total for i in range(3))
    return score, low, high


def competition_ranks(
    items: list[tuple[str, float, float, float]],
) -> dict[str, tuple[int, int, int]]:
    """Ranks from (id, score, low, high): rank 1 is the best; equal scores share a rank (1, 2, 2, 4);
    the rank interval runs from 1 + the number certainly better (their low above this one's high)
    to the number not certainly worse."""
    # Sorted columns and binary search: a ranking request may carry many thousand rooms.
    scores = sorted(s for _, s, _, _ in items)
    lows = sorted(lo for _, _, lo, _ in items)
    highs = sorted(hi for _, _, _, hi in items)
    n = len(items)
    out = {}
    for key, score, low, high in items:
        above = n - bisect_right(scores, score)
        certainly_above = n - bisect_right(lows, high)
        certainly_below = bisect_left(highs, low)
        out[key] = (1 + above, 1 + certainly_above, n - certainly_below)
    return out
