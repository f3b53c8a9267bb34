"""Ninety days of commerce history for the demo and the scoring tests: shops and hosts with hidden
quality, and what buyers did about it (orders, shipments, reviews, refunds, complaints, service
chats, returning viewers, questions in chat and the host's answers).

Every shop has a hidden product quality, logistics speed and customer service; every host a
hidden honesty and care for viewers, and a taste for shops. Buyers who are let down review badly,
ask for refunds, complain and do not come back. So the scores computed from the events can be
checked against the truth that made them (`HIDDEN`), which is what the tests do. Seeded and
deterministic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from clearlive.model.events import format_ts

DAY = 86_400_000
HOUR = 3_600_000
START = 1_785_801_600_000  # 2026-08-04T00:00:00Z: 90 days before the demo's live rooms
CATEGORIES = ("beauty", "food", "apparel")


@dataclass(frozen=True)
class Shop:
    id: str
    category: str
    quality: float  # chance an order is as good as promised
    logistics: float  # chance of pickup within a day and delivery within three
    service: float  # chance a service chat is answered within three minutes


@dataclass(frozen=True)
class Host:
    id: str
    honesty: float  # chance the host's pitch is truthful (else refunds and reviews cite it)
    care: float  # chance a viewer's question gets a straight answer
    traffic: int  # typical peak viewers: bought traffic does not need quality
    picky: bool  # chooses the better shops of a category
    lang: str


SHOPS = [
    Shop(f"shop-{c}-{k}", c, q, lg, sv)
    for c in CATEGORIES
    for k, (q, lg, sv) in enumerate(
        [(0.97, 0.95, 0.95), (0.95, 0.9, 0.8), (0.92, 0.8, 0.7), (0.85, 0.7, 0.6), (0.75, 0.6, 0.4), (0.6, 0.5, 0.3)]
    )
]
HOSTS = [
    Host("host-lin", 0.97, 0.9, 2500, True, "zh"),
    Host("host-mei", 0.95, 0.85, 6000, True, "zh"),
    Host("host-zhao", 0.9, 0.6, 9000, True, "zh"),
    Host("host-qiang", 0.6, 0.3, 30000, False, "zh"),  # high traffic, poor service: the bad quadrant
    Host("host-bao", 0.55, 0.2, 22000, False, "zh"),
    Host("host-ruby", 0.95, 0.9, 3000, True, "en"),
    Host("host-jade", 0.7, 0.5, 12000, False, "en"),
    Host("host-new", 0.95, 0.9, 800, True, "zh"),  # new: too few orders to score yet
]
HIDDEN = {"shops": {s.id: s for s in SHOPS}, "hosts": {h.id: h for h in HOSTS}}

ZH_QUESTIONS = {
    "size": ["这个尺码偏大吗", "160斤穿什么码", "有大码吗"],
    "shipping": ["发什么快递", "几天能到", "包邮吗"],
    "returns": ["能退货吗", "有运费险吗", "不合适可以退换吗"],
    "authenticity": ["是正品吗", "真的假的", "专柜有吗"],
    "ingredients": ["孕妇能用吗", "有酒精吗", "敏感肌能用吗"],
}
EN_QUESTIONS = {
    "size": ["does it run small?", "what size for 5'4?"],
    "shipping": ["how long is shipping?", "do you ship to Canada?"],
    "returns": ["can I return it?", "is there a refund if it breaks?"],
    "authenticity": ["is it authentic?", "is this the original?"],
    "ingredients": ["does it have alcohol?", "is it ok for sensitive skin?"],
}
ZH_ANSWERS = {
    "size": "尺码偏小一码，平时穿M的拍L",
    "shipping": "默认中通快递，48小时内发货",
    "returns": "支持七天无理由退换，送运费险",
    "authenticity": "品牌授权正品，可以验货",
    "ingredients": "成分表在详情页第三张，含酒精，敏感肌慎用",
}
EN_ANSWERS = {
    "size": "it runs small, size up one",
    "shipping": "shipping takes three to five days",
    "returns": "30-day return, free returns",
    "authenticity": "it's authentic, we are an authorised seller",
    "ingredients": "it has alcohol, not suitable for very sensitive skin",
}
ZH_EVASIVE = ["放心拍闭眼入，别问了", "这个问客服，主播这边不方便说"]
EN_EVASIVE = ["just trust me, buy it now", "ask customer service, don't worry about it"]
ZH_BAD_LINES = ["全网最低价，错过今天再等一年", "这款面霜用了保证一周美白", "最后三单了，手慢无"]
EN_BAD_LINES = ["lowest price on the internet, guaranteed", "this cream cures eczema in a week"]
ZH_HOST_FILLER = ["欢迎新来的宝宝们", "这款是我们家的爆款", "大家看一下这个质感", "点点关注不迷路"]
EN_HOST_FILLER = ["welcome everyone", "look at this texture", "this is our best seller", "follow for more"]


def _shops_for(host: Host, rng: random.Random) -> list[Shop]:
    by_category = [[s for s in SHOPS if s.category == c] for c in CATEGORIES]
    picks = []
    for shops in rng.sample(by_category, 2):
        ranked = sorted(shops, key=lambda s: -s.quality)
        picks.append(rng.choice(ranked[:3] if host.picky else ranked[2:]))
    return picks


def generate_history(out: Path, seed: int = 7, days: int = 90) -> Path:
    """Write the history as one JSON Lines file of events (time order); return its path."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for h in HOSTS:
        shops = _shops_for(h, rng)
        fans = [f"{h.id}-v{k}" for k in range(max(40, h.traffic // 100))]
        pleased: dict[str, int] = {}  # buyer -> day of their last good experience with this host
        counter = [0]
        every = 2 if h.id != "host-new" else 5
        for day in range(0 if h.id != "host-new" else days - 10, days, every):
            rows.extend(_session(rng, h, shops, fans, pleased, counter, day))
    for shop in SHOPS:  # the shop's own shelf sales, outside any live room
        rows.extend(_shelf_orders(rng, shop, days))
    rows.sort(key=lambda r: (r["ts"], r["type"]))
    out.parent.mkdir(parents=True, exist_ok=True)
    encoder = msgspec.json.Encoder()
    with out.open("wb") as fh:
        for r in rows:
            r["ts"] = format_ts(r["ts"])
            fh.write(encoder.encode(r) + b"\n")
    return out


def _session(
    rng: random.Random,
    h: Host,
    shops: list[Shop],
    fans: list[str],
    pleased: dict[str, int],
    counter: list[int],
    day: int,
) -> list[dict[str, Any]]:
    t0 = START + day * DAY + 19 * HOUR + rng.randrange(HOUR)
    room, session = f"room-{h.id}", f"{h.id}-d{day:02d}"
    base = {"room_id": room, "session_id": session, "anchor_id": h.id}
    rows: list[dict[str, Any]] = [{**base, "type": "session_start", "ts": t0, "title": f"{h.id} 直播"}]
    peak = int(h.traffic * rng.uniform(0.7, 1.3))
    for minute in range(0, 120, 10):
        rows.append(
            {**base, "type": "room_stats", "ts": t0 + minute * 60_000, "online": int(peak * rng.uniform(0.6, 1))}
        )
    shop = shops[day % len(shops)]
    sku = f"{shop.id}-sku{day % 3}"
    rows.append(
        {
            **base,
            "type": "product",
            "ts": t0 + 60_000,
            "sku": sku,
            "title": f"{shop.category} item",
            "category": shop.category,
            "price": 59.0,
            "shop_id": shop.id,
        }
    )
    # viewers: loyal fans come back when the host treats them well
    visitors = rng.sample(fans, k=min(len(fans), 30))
    for user in visitors:
        if rng.random() < 0.35 + 0.5 * h.care:
            rows.append({**base, "type": "enter", "ts": t0 + rng.randrange(2 * HOUR), "user_id": user})
    rows.extend(_talk(rng, h, base, t0))
    # orders: traffic drives volume, not quality; buyers pleased in the last 60 days come back
    # (each with a small chance per session), buyers let down do not
    buyers = [b for b, last in sorted(pleased.items()) if day - last <= 60 and rng.random() < 0.05]
    for _ in range(max(3, int(peak / 300 * rng.uniform(0.8, 1.2)))):
        counter[0] += 1
        buyers.append(f"{h.id}-b{counter[0]}")
    for k, user in enumerate(buyers):
        order_rows, satisfied = _order_life(
            rng, h, shop, sku, base, user, f"{session}-o{k}", t0 + rng.randrange(2 * HOUR)
        )
        rows.extend(order_rows)
        if satisfied:
            pleased[user] = day
        else:
            pleased.pop(user, None)
    return rows


def _shelf_orders(rng: random.Random, shop: Shop, days: int) -> list[dict[str, Any]]:
    base = {"room_id": f"store-{shop.id}", "shop_id": shop.id}
    shelf = Host(f"store-{shop.id}", 1.0, 1.0, 0, True, "zh")  # no pitch to mislead anyone
    rows: list[dict[str, Any]] = [
        {
            **base,
            "type": "product",
            "ts": START,
            "sku": f"{shop.id}-sku0",
            "title": f"{shop.category} item",
            "category": shop.category,
            "price": 59.0,
        }
    ]
    for day in range(days):
        for k in range(rng.randrange(0, 4)):
            ts = START + day * DAY + rng.randrange(DAY)
            order_rows, _ = _order_life(
                rng, shelf, shop, f"{shop.id}-sku0", base, f"{shop.id}-c{day}-{k}", f"{shop.id}-d{day}-{k}", ts
            )
            rows.extend(order_rows)
    return rows


def _talk(rng: random.Random, h: Host, base: dict[str, Any], t0: int) -> list[dict[str, Any]]:
    zh = h.lang == "zh"
    questions, answers = (ZH_QUESTIONS, ZH_ANSWERS) if zh else (EN_QUESTIONS, EN_ANSWERS)
    evasive = ZH_EVASIVE if zh else EN_EVASIVE
    rows: list[dict[str, Any]] = []
    if rng.random() > h.honesty:  # the pitch oversteps once in this session
        line = rng.choice(ZH_BAD_LINES if zh else EN_BAD_LINES)
        rows.append({**base, "type": "utterance", "ts": t0 + 50 * 60_000, "speaker": "host", "text": line})
    for k in range(6):
        t = t0 + (5 + k * 15) * 60_000
        topic = rng.choice(sorted(questions))
        rows.append(
            {
                **base,
                "type": "comment",
                "ts": t,
                "user_id": f"{h.id}-q{rng.randrange(500)}",
                "text": rng.choice(questions[topic]),
            }
        )
        roll = rng.random()
        if roll < h.care:
            rows.append(
                {
                    **base,
                    "type": "utterance",
                    "ts": t + rng.randrange(10_000, 60_000),
                    "speaker": "host",
                    "text": answers[topic],
                }
            )
        elif roll < h.care + (1 - h.care) / 2:
            rows.append(
                {
                    **base,
                    "type": "utterance",
                    "ts": t + rng.randrange(10_000, 60_000),
                    "speaker": "host",
                    "text": rng.choice(evasive),
                }
            )
        filler = rng.choice(ZH_HOST_FILLER if zh else EN_HOST_FILLER)
        rows.append({**base, "type": "utterance", "ts": t + 200_000, "speaker": "host", "text": filler})
    return rows


def _order_life(
    rng: random.Random, h: Host, shop: Shop, sku: str, base: dict[str, Any], user: str, order_id: str, ts: int
) -> tuple[list[dict[str, Any]], bool]:
    """An order's events from payment to review; and whether the buyer was satisfied."""
    o = {"order_id": order_id}
    rows: list[dict[str, Any]] = [
        {
            **base,
            "type": "order",
            "ts": ts,
            "user_id": user,
            "sku": sku,
            "qty": 1,
            "amount": 59.0,
            "shop_id": shop.id,
            **o,
        }
    ]
    fast = rng.random() < shop.logistics
    shipped = ts + (rng.randrange(2, 20) if fast else rng.randrange(26, 60)) * HOUR
    delivered = shipped + (rng.randrange(24, 70) if rng.random() < shop.logistics else rng.randrange(80, 160)) * HOUR
    rows.append({"type": "shipment", "room_id": base["room_id"], "ts": shipped, "status": "shipped", **o})
    rows.append({"type": "shipment", "room_id": base["room_id"], "ts": delivered, "status": "delivered", **o})
    good = rng.random() < shop.quality
    truthful = rng.random() < h.honesty
    later = delivered + rng.randrange(1, 5) * DAY
    room = {"room_id": base["room_id"]}
    if good and truthful:
        if rng.random() < 0.5:
            rows.append(
                {
                    **room,
                    "type": "review",
                    "ts": later,
                    "rating": rng.choice([4, 5, 5]),
                    "text": "不错，和描述一致",
                    **o,
                }
            )
    elif not good:
        rows.append({**room, "type": "review", "ts": later, "rating": rng.choice([1, 2]), "text": "质量太差了", **o})
        if rng.random() < 0.6:
            rows.append(
                {
                    **room,
                    "type": "refund",
                    "ts": later + HOUR,
                    "reason": rng.choice(["quality", "damaged", "质量问题"]),
                    **o,
                }
            )
        if rng.random() < 0.3:
            rows.append(
                {**room, "type": "complaint", "ts": later + 2 * HOUR, "reason": "quality", "text": "东西坏了", **o}
            )
    else:  # a decent product sold with a misleading pitch
        rows.append({**room, "type": "review", "ts": later, "rating": 2, "text": "和直播说的不一样，夸大宣传", **o})
        if rng.random() < 0.5:
            rows.append({**room, "type": "refund", "ts": later + HOUR, "reason": "misleading_promotion", **o})
        if rng.random() < 0.3:
            rows.append(
                {
                    **room,
                    "type": "complaint",
                    "ts": later + 2 * HOUR,
                    "reason": "host_misleading",
                    "text": "主播误导",
                    **o,
                }
            )
    if rng.random() < 0.3:
        replied = rng.random() < shop.service
        rows.append(
            {
                **room,
                "type": "service_chat",
                "ts": ts + rng.randrange(1, 48) * HOUR,
                "user_id": user,
                "first_response_s": rng.randrange(5, 170) if replied else rng.randrange(200, 3000),
                "shop_id": shop.id,
                **o,
            }
        )
    return rows, good and truthful
