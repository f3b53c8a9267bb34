"""Ground truth for the behavioural detectors: honest audience curves, and injected fakes.

`honest_audience` gives room_stats samples and the enter events that explain every rise in the
online count (a newcomer is an enter; leavers are silent), with noise. The injectors add what a
view-botting service does: a step of fake viewers that arrive without entering, or a frozen count.
Seeded, so tests and evaluations are reproducible.
"""

from __future__ import annotations

import math
import random
from typing import Any

from clearlive.model.events import format_ts


def honest_audience(
    rng: random.Random, room_id: str, t0_ms: int, minutes: int, peak: int, every_s: int = 10
) -> list[dict[str, Any]]:
    """room_stats every `every_s` seconds and one enter per newcomer; about 5% of viewers turn over per minute."""
    events: list[dict[str, Any]] = []
    online = max(5, peak // 50)
    likes = 0
    points = minutes * 60 // every_s
    for i in range(points):
        ts = t0_ms + i * every_s * 1000
        x = i / points
        target = (
            peak * min(1.0, x / 0.15) * max(0.15, min(1.0, (1 - x) / 0.12)) * (0.9 + 0.1 * math.sin(6 * math.pi * x))
        )
        leavers = int(online * 0.05 * every_s / 60 * rng.uniform(0.5, 1.5))
        arrivals = max(0, int(target - online + leavers + rng.gauss(0, max(1.0, online * 0.01))))
        online = max(1, online - leavers + arrivals)
        for k in range(arrivals):
            events.append(
                {
                    "type": "enter",
                    "room_id": room_id,
                    "ts": ts - rng.randint(0, every_s * 1000 - 1),
                    "user_id": f"{room_id}-v{i}-{k}",
                }
            )
        likes += int(online * rng.uniform(0.05, 0.3) * every_s / 10)  # a few taps per viewer per minute
        events.append({"type": "room_stats", "room_id": room_id, "ts": ts, "online": online, "likes_total": likes})
    events.sort(key=lambda e: e["ts"])
    return events


def inject_viewer_step(events: list[dict[str, Any]], at_ms: int, extra: int, for_ms: int) -> list[dict[str, Any]]:
    """Add `extra` fake viewers (no enter events) to every sample in [at_ms, at_ms + for_ms)."""
    out = []
    for e in events:
        if e["type"] == "room_stats" and at_ms <= e["ts"] < at_ms + for_ms:
            e = {**e, "online": e["online"] + extra}
        out.append(e)
    return out


def inject_viewer_ramp(
    events: list[dict[str, Any]], at_ms: int, extra: int, ramp_ms: int, hold_ms: int
) -> list[dict[str, Any]]:
    """Fake viewers (no enter events) added gradually: 0 to `extra` over `ramp_ms`, then held."""
    out = []
    for e in events:
        if e["type"] == "room_stats" and at_ms <= e["ts"] < at_ms + ramp_ms + hold_ms:
            share = min(1.0, (e["ts"] - at_ms) / ramp_ms)
            e = {**e, "online": e["online"] + int(extra * share)}
        out.append(e)
    return out


def without_enters(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same room as a feed that carries no enter events (some live clients do not send them)."""
    return [e for e in events if e["type"] != "enter"]


def inject_plateau(events: list[dict[str, Any]], at_ms: int, for_ms: int) -> list[dict[str, Any]]:
    """Freeze the online count at its value at `at_ms` for `for_ms` (a bot panel holding a number)."""
    frozen = None
    out = []
    for e in events:
        if e["type"] == "room_stats" and at_ms <= e["ts"] < at_ms + for_ms:
            frozen = e["online"] if frozen is None else frozen
            e = {**e, "online": frozen}
        out.append(e)
    return out


def inject_like_burst(events: list[dict[str, Any]], at_ms: int, likes: int) -> list[dict[str, Any]]:
    """Add `likes` bought likes at `at_ms`: likes_total jumps there and stays higher."""
    return [
        {**e, "likes_total": e["likes_total"] + likes}
        if e["type"] == "room_stats" and e["ts"] >= at_ms and e.get("likes_total") is not None
        else e
        for e in events
    ]


def honest_order_graph(rng: random.Random, buyers: int, shops: int) -> set[tuple[str, str]]:
    """Buyer-shop pairs: each buyer orders from 1-4 shops, popular shops more often (Zipf-like)."""
    weights = [1 / (k + 1) for k in range(shops)]
    edges = set()
    for b in range(buyers):
        for s in rng.choices(range(shops), weights=weights, k=rng.randint(1, 4)):
            edges.add((f"u{b}", f"shop{s}"))
    return edges


def inject_ring(
    rng: random.Random,
    edges: set[tuple[str, str]],
    ring: int,
    targets: int,
    density: float,
    camouflage: int,
    shops: int,
) -> tuple[set[tuple[str, str]], set[str]]:
    """FRAUDAR's injection protocol: `ring` fake buyers order from each of `targets` new shops with
    probability `density`, and from `camouflage` popular honest shops each, to look normal."""
    out = set(edges)
    fraud = {f"f{k}" for k in range(ring)}
    target_shops = [f"target{t}" for t in range(targets)]
    for u in sorted(fraud):
        for t in target_shops:
            if rng.random() < density:
                out.add((u, t))
        for s in rng.sample(range(min(shops, 10)), k=camouflage):
            out.add((u, f"shop{s}"))
    return out, fraud


def as_rfc3339(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**e, "ts": format_ts(e["ts"])} for e in events]


# ---------------------------------------------------------------------------------------------
# Chat, visits and orders with bots, farms and brushing rings (bench/fraud_eval.py).

CHAT_QUESTIONS = [
    "多少钱",
    "发什么快递",
    "有没有大码",
    "能便宜点吗",
    "什么时候发货",
    "会起球吗",
    "主播多高",
    "适合夏天穿吗",
]


def honest_chat(rng: random.Random, room_id: str, t0_ms: int, per_second: float, minutes: int) -> list[dict[str, Any]]:
    """Viewers asking the same few questions at random times: repeats, but spread out."""
    rows, t = [], 0.0
    while t < minutes * 60:
        t += rng.expovariate(per_second)
        rows.append(
            {
                "type": "comment",
                "room_id": room_id,
                "ts": t0_ms + int(t * 1000),
                "user_id": f"u{rng.randrange(5000)}",
                "text": rng.choice(CHAT_QUESTIONS),
            }
        )
    return rows


def bot_burst(room_id: str, at_ms: int, line: str, accounts: int) -> list[dict[str, Any]]:
    """`accounts` bots posting one templated line (with trivial variations) a quarter second apart."""
    return [
        {
            "type": "comment",
            "room_id": room_id,
            "ts": at_ms + k * 250,
            "user_id": f"bot{k}",
            "text": line + ["", "!", "~", "2"][k % 4],
        }
        for k in range(accounts)
    ]


def honest_visits(rng: random.Random, t0_ms: int, users: int, rooms: int, hours: int) -> list[dict[str, Any]]:
    """Viewers entering 1-6 random rooms at random times."""
    return [
        {
            "type": "enter",
            "room_id": f"room{rng.randrange(rooms)}",
            "user_id": f"u{u}",
            "ts": t0_ms + rng.randrange(hours * 3_600_000),
        }
        for u in range(users)
        for _ in range(rng.randint(1, 6))
    ]


def lockstep_farm(rng: random.Random, t0_ms: int, bots: int, rooms: list[str]) -> list[dict[str, Any]]:
    """A farm visiting `rooms` together: one room an hour, every bot within the same minute."""
    rows: list[dict[str, Any]] = []
    for k, room in enumerate(rooms):
        at = t0_ms + k * 3_600_000 + rng.randrange(3_000_000)
        rows.extend(
            {"type": "enter", "room_id": room, "user_id": f"bot{b}", "ts": at + rng.randrange(60_000)}
            for b in range(bots)
        )
    return rows


def honest_shop_orders(
    rng: random.Random, shop: str, t0_ms: int, per_hour: float, hours: int, repeat: float = 0.1
) -> list[dict[str, Any]]:
    """A shop's honest orders: Poisson arrivals from a pool of buyers; a `repeat` share of orders
    come from a buyer who ordered within the hour before (a second item, a gift for a friend)."""
    rows: list[dict[str, Any]] = []
    t = 0.0
    while True:
        t += rng.expovariate(per_hour / 3600)
        if t >= hours * 3600:
            return rows
        recent = sorted({r["user_id"] for r in rows[-20:] if t0_ms + t * 1000 - r["ts"] < 3_600_000})
        user = rng.choice(recent) if recent and rng.random() < repeat else f"{shop}-buyer{rng.randrange(100_000)}"
        rows.append(_order(shop, t0_ms + int(t * 1000), user, len(rows)))


def brushing_burst(
    rng: random.Random, shop: str, at_ms: int, buyers: int, orders_each: int, minutes: int = 50
) -> list[dict[str, Any]]:
    """Shopee-style brushing: `buyers` fake accounts each placing `orders_each` orders in the shop
    at random times within `minutes`."""
    return [
        _order(shop, at_ms + rng.randrange(minutes * 60_000), f"brusher{b}", 1_000_000 + b * 1000 + k)
        for b in range(buyers)
        for k in range(orders_each)
    ]


def _order(shop: str, ts: int, user: str, n: int) -> dict[str, Any]:
    return {
        "type": "order",
        "room_id": f"room-{shop}",
        "shop_id": shop,
        "ts": ts,
        "order_id": f"{shop}-o{n}",
        "user_id": user,
        "sku": "sku1",
        "amount": 59.0,
    }
