"""A second generator of live rooms, honest and faked, written from the literature, not from the detectors.

Honest rooms (50 to 50,000 viewers) each get their own rhythm: a sampling interval for the room
statistics, an audience curve with a warm-up, drift and, at times, a recommendation wave (a real
surge that brings entries and chat with it), a chat rate per viewer, a like rate per liker with
requested like storms, host-cued chat waves, an order rate per viewer with repeat buyers and the
odd reseller, and a feed that carries every, some or none of its enter events.

The fraud follows published descriptions rather than any threshold in ClearLive:

- `audience`: bought viewers (the 刷量 services in SAMR's and the CAC's 清朗 cases; view-bot panels):
  the online count multiplies by `intensity` within about a minute and stays up for minutes,
  with no entries, chat or likes to match.
- `chat_ring`: a 水军 ring (Shopee's and Douyin's published cases of paid comment rings; CopyCatch's
  lockstep behaviour, Beutel et al. 2013): a few dozen accounts posting a handful of templated lines
  in bursts, each copy varied (filler words, punctuation, emoji) so that no two are equal.
- `like_farm`: a handful of accounts sending like events of hundreds of likes each (the "fake
  like or favourite data" of the 2024 SAMR 网络反不正当竞争暂行规定 Art. 9).
- `brushing`: a few buyers placing many orders within an hour (Shopee's 2020 order-brushing
  definition), in a shop that also has many honest buyers.
- `raid`: a host tells its fans to go and "show" another room (拉踩引战, 清朗 2024); the fans
  enter the other room and post the same lines there. The caller's room is the fraud room; the
  target is returned beside it.

Everything is seeded: the same arguments give the same events.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

KINDS = ("audience", "chat_ring", "like_farm", "brushing", "raid")

# Honest chat: questions and reactions built from parts, so that honest near-duplicates happen the
# way they do in real rooms ("这个多少钱" / "多少钱呀"), and short cue answers.
_ASK = [
    "多少钱",
    "几号链接",
    "有没有大码",
    "什么时候发货",
    "能便宜点吗",
    "会起球吗",
    "主播多高多重",
    "适合夏天穿吗",
    "有没有别的颜色",
    "包邮吗",
    "敏感肌能用吗",
    "保质期多久",
    "怎么退货",
    "是正品吗",
    "还有货吗",
]
_PREFIX = ["", "", "", "请问", "这个", "主播", "宝宝", "想问下"]
_SUFFIX = ["", "", "", "呀", "啊", "？", "?", "呢", "～"]
_REACT = [
    "好看",
    "真好看",
    "想要",
    "已拍",
    "来了",
    "666",
    "哈哈哈",
    "支持",
    "主播好美",
    "这个颜色好看",
    "上身效果不错",
    "等了好久",
    "刚来",
    "买过了还不错",
    "贵了点",
    "不错不错",
    "链接呢",
    "主播声音好好听",
]
_EN = [
    "how much is it",
    "link please",
    "do you ship to canada",
    "what size are you wearing",
    "love this",
    "is it on sale",
    "how long is shipping",
    "beautiful",
    "just bought one",
    "hi from texas",
]
_CUES = ["谢谢主播", "主播辛苦了", "支持主播", "想要想要", "主播我来了"]  # slogans a host asks viewers to type

# 水军 lines, written as the published cases quote them (praise, urgency, fake buyer stories)
_RING_LINES = [
    "主播太实在了这个价格闭眼入",
    "已经回购三次了质量真的好",
    "家人们放心冲不好用来找我",
    "刚收到货比实体店便宜一半",
    "这个价格真的是骨折价了",
    "买了送给我妈她特别喜欢",
    "主播人美心善东西还好",
    "我同事都在这里买的",
    "用了一个月皮肤变好了很多",
    "错过今天就没有这个价了",
    "质量超级好已经推荐给朋友",
    "物流很快第二天就到了",
]
_RING_FILL = ["", "", "真的", "家人们", "姐妹们", "说实话", "哈哈"]
_RING_END = ["", "!", "！！", "～", "👍", "❤️", "。", "!!!", " 真的"]

_RAID_CALLS = [
    "家人们都去{t}直播间给他们show一下我们的实力",
    "兄弟们现在去{t}那边show一下，让他们看看谁才是老大",
    "everyone go over to {t} and show them who we are",
    "走，大家一起去{t}直播间秀一下，刷起来",
]
_RAID_LINES = ["我们家主播才是最好的", "就这也敢卖这个价", "来自隔壁的问候", "你们主播不行啊", "散了吧散了吧"]
_PROMO_CALLS = ["大家有空去{t}直播间支持一下，我们是好朋友", "下播后可以去{t}那边看看，她家衣服也不错"]

T0 = 1_793_534_400_000


@dataclass
class Room:
    """One generated room: its events, what was injected (None: honest) and the ground truth."""

    room_id: str
    events: list[dict[str, Any]]
    kind: str | None = None
    intensity: float = 0.0
    truth: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Rhythm:
    peak: int
    minutes: int
    every_s: int  # room statistics interval
    chat_per_viewer_min: float
    liker_share: float
    taps_per_liker_min: float
    orders_per_viewer_hour: float
    enter_share: float  # share of enter events the feed carries (0: none)
    english: bool


def _rhythm(rng: random.Random, peak: int, minutes: int) -> _Rhythm:
    # Engagement per viewer falls with room size (a big room is mostly passive scrollers).
    size_damp = (max(peak, 50) / 500) ** -0.25
    return _Rhythm(
        peak=peak,
        minutes=minutes,
        every_s=rng.choice([2, 5, 10, 15, 30]),
        chat_per_viewer_min=math.exp(rng.uniform(math.log(0.004), math.log(0.04))) * size_damp,
        liker_share=rng.uniform(0.03, 0.15),
        taps_per_liker_min=rng.uniform(5, 40),
        orders_per_viewer_hour=math.exp(rng.uniform(math.log(0.003), math.log(0.03))),
        enter_share=rng.choice([1.0, 1.0, 0.5, 0.2, 0.0]),
        english=rng.random() < 0.25,
    )


def honest_room(rng: random.Random, room_id: str, peak: int, minutes: int, t0: int = T0) -> Room:
    r = _rhythm(rng, peak, minutes)
    return Room(room_id, _build(rng, room_id, r, t0, fake=None), truth={"peak": peak, "minutes": minutes})


def _audience_curve(rng: random.Random, r: _Rhythm) -> list[float]:
    """Honest audience per second: warm-up, lognormal drift, sometimes a recommendation wave."""
    seconds = r.minutes * 60
    warm = rng.uniform(120, 600)
    level = 0.0
    drift = 0.0
    wave_at = rng.uniform(0.3, 0.8) * seconds if rng.random() < 0.4 else None
    wave_size = rng.uniform(0.3, 1.0)
    wave_len = rng.uniform(180, 600)
    out = []
    for s in range(seconds):
        drift += rng.gauss(0, 0.004)
        drift *= 0.999
        base = r.peak * min(1.0, 0.15 + s / warm) * math.exp(drift)
        if wave_at is not None and s >= wave_at:
            base *= 1 + wave_size * min(1.0, (s - wave_at) / wave_len) * math.exp(-(s - wave_at) / 1800)
        if s > seconds - 240:  # winding down before the end
            base *= max(0.3, (seconds - s) / 240)
        level = base
        out.append(level)
    return out


def _build(rng: random.Random, room_id: str, r: _Rhythm, t0: int, fake: dict[str, Any] | None) -> list[dict]:
    """Events of one room: honest behaviour, with `fake` viewers added to the online count if asked."""
    ev: list[dict[str, Any]] = [{"type": "session_start", "room_id": room_id, "ts": t0, "anchor_id": f"{room_id}-host"}]
    curve = _audience_curve(rng, r)
    seconds = len(curve)
    online = max(3, int(curve[0]))
    viewers = [f"{room_id}-v{k}" for k in range(online)]
    next_viewer = online
    likes_total = 0
    host_cue_at = {int(rng.uniform(60, seconds - 60)) for _ in range(rng.randint(0, 3))}
    storm_at = {int(rng.uniform(60, seconds - 60)) for _ in range(rng.randint(0, 2))}
    cue_until, cue_line, storm_until = -1, "", -1
    buyers_recent: list[str] = []
    extra = fake.get("extra_at") if fake else None
    for s in range(seconds):
        ts = t0 + s * 1000
        target = curve[s]
        # departures (unseen) and arrivals (enter events, a share of them in the feed)
        online = max(1, online - _poisson(rng, online * 0.004))  # about a quarter leave every minute
        arrive = max(0, round(target - online + rng.gauss(0, math.sqrt(max(target, 1)) * 0.1)))
        online += arrive
        for _ in range(arrive):
            user = f"{room_id}-v{next_viewer}"
            next_viewer += 1
            viewers.append(user)
            if rng.random() < r.enter_share:
                ev.append({"type": "enter", "room_id": room_id, "ts": ts + rng.randrange(1000), "user_id": user})
        if len(viewers) > 4 * max(online, 50):
            viewers = viewers[-2 * max(online, 50) :]
        if s in host_cue_at:
            cue_line, cue_until = rng.choice(_CUES), s + rng.randint(20, 60)
            ev.append(
                {
                    "type": "utterance",
                    "room_id": room_id,
                    "ts": ts,
                    "speaker": "host",
                    "text": f"喜欢主播的扣一个“{cue_line}”",
                }
            )
        if s in storm_at:
            storm_until = s + rng.randint(30, 90)
            ev.append(
                {
                    "type": "utterance",
                    "room_id": room_id,
                    "ts": ts,
                    "speaker": "host",
                    "text": "家人们点点赞，点到一万我们就上福利",
                }
            )
        # chat: Poisson per second, a share of it answering the host's cue
        chat_rate = online * r.chat_per_viewer_min / 60 * (3.0 if s <= cue_until else 1.0)
        for _ in range(_poisson(rng, chat_rate)):
            user = rng.choice(viewers)
            if s <= cue_until and rng.random() < 0.6:
                text = cue_line + rng.choice(["", "", "!", "～"])
            elif r.english:
                text = rng.choice(_EN) + rng.choice(["", "", "?", "!", " pls"])
            elif rng.random() < 0.5:
                text = rng.choice(_PREFIX) + rng.choice(_ASK) + rng.choice(_SUFFIX)
            else:
                text = rng.choice(_REACT) + rng.choice(_SUFFIX)
            ev.append(
                {"type": "comment", "room_id": room_id, "ts": ts + rng.randrange(1000), "user_id": user, "text": text}
            )
        # likes: like events from likers, each carrying the taps of a moment (1-15)
        liker_rate = online * r.liker_share * r.taps_per_liker_min / 60 * (4.0 if s <= storm_until else 1.0)
        taps = _poisson(rng, liker_rate)
        if taps > 60:  # busy rooms: the feed carries a sample of like events; the total counts them all
            likes_total += taps - 60
            taps = 60
        while taps > 0:
            count = min(taps, rng.randint(1, 15))
            taps -= count
            likes_total += count
            ev.append(
                {
                    "type": "like",
                    "room_id": room_id,
                    "ts": ts + rng.randrange(1000),
                    "user_id": rng.choice(viewers),
                    "count": count,
                }
            )
        # a follow or a gift now and then
        if rng.random() < online * 0.00003:
            ev.append(
                {"type": "follow", "room_id": room_id, "ts": ts + rng.randrange(1000), "user_id": rng.choice(viewers)}
            )
        # orders: most buyers once, some twice or three times within minutes, the odd reseller more
        for _ in range(_poisson(rng, online * r.orders_per_viewer_hour / 3600)):
            if buyers_recent and rng.random() < 0.15:
                buyer = rng.choice(buyers_recent[-30:])
            else:
                buyer = rng.choice(viewers)
                buyers_recent.append(buyer)
            ev.append(_order(room_id, ts + rng.randrange(1000), buyer, len(ev)))
        if s % r.every_s == 0:
            shown = online + (extra(s) if extra else 0)
            ev.append(
                {"type": "room_stats", "room_id": room_id, "ts": ts, "online": int(shown), "likes_total": likes_total}
            )
    ev.append({"type": "session_end", "room_id": room_id, "ts": t0 + seconds * 1000})
    return ev


def _order(room_id: str, ts: int, buyer: str, n: int) -> dict[str, Any]:
    return {
        "type": "order",
        "room_id": room_id,
        "shop_id": f"shop-{room_id}",
        "ts": ts,
        "order_id": f"{room_id}-o{n}",
        "user_id": buyer,
        "sku": f"sku{n % 7}",
        "amount": 39.0,
    }


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 50:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    k, p, limit = 0, 1.0, math.exp(-lam)
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# ---------------------------------------------------------------------------------------------
# Fraud


def fraud_room(
    rng: random.Random, room_id: str, kind: str, intensity: float, peak: int, minutes: int, t0: int = T0
) -> list[Room]:
    """A room with `kind` injected at `intensity` (see `KINDS`); a raid also returns its target room."""
    r = _rhythm(rng, peak, minutes)
    seconds = minutes * 60
    start = int(rng.uniform(0.3, 0.6) * seconds)
    if kind == "audience":
        # intensity: the factor the audience multiplies by, within ~a minute, held for 5-20 minutes
        rise = rng.uniform(30, 90)
        hold = rng.uniform(300, 1200)
        base = peak

        def extra(s: int) -> float:
            if s < start or s > start + rise + hold:
                return 0.0
            return (intensity - 1) * base * min(1.0, (s - start) / rise)

        events = _build(rng, room_id, r, t0, fake={"extra_at": extra})
        return [Room(room_id, events, kind, intensity, {"start_s": start, "factor": intensity})]
    events = _build(rng, room_id, r, t0, fake=None)
    truth: dict[str, Any] = {"start_s": start}
    if kind == "chat_ring":
        accounts = [f"ring{rng.randrange(10**6)}" for _ in range(int(intensity))]
        lines = rng.sample(_RING_LINES, rng.randint(3, 6))
        for b in range(rng.randint(2, 4)):  # bursts a few minutes apart
            at = t0 + (start + b * rng.randint(120, 400)) * 1000
            span = rng.uniform(15, 60) * 1000
            for acc in rng.sample(accounts, k=max(3, int(len(accounts) * rng.uniform(0.6, 1.0)))):
                line = rng.choice(lines)
                text = rng.choice(_RING_FILL) + line + rng.choice(_RING_END)
                events.append(
                    {
                        "type": "comment",
                        "room_id": room_id,
                        "ts": at + int(rng.random() * span),
                        "user_id": acc,
                        "text": text,
                    }
                )
        truth["accounts"] = accounts
    elif kind == "like_farm":
        # intensity: likes per event; a handful of accounts, a few events each
        farm = [f"liker{rng.randrange(10**6)}" for _ in range(rng.randint(3, 6))]
        at = t0 + start * 1000
        for acc in farm:
            for _ in range(rng.randint(2, 6)):
                count = int(intensity * rng.uniform(0.7, 1.3))
                events.append(
                    {
                        "type": "like",
                        "room_id": room_id,
                        "ts": at + rng.randrange(120_000),
                        "user_id": acc,
                        "count": count,
                    }
                )
        _add_to_likes_total(events, at, sum(e["count"] for e in events if e.get("user_id") in farm))
        truth["accounts"] = farm
    elif kind == "brushing":
        # intensity: orders per fake buyer within an hour, from 2-4 buyers
        fakes = [f"brush{rng.randrange(10**6)}" for _ in range(rng.randint(2, 4))]
        at = t0 + start * 1000
        window = int(min(3_600_000, rng.uniform(0.3, 1.0) * 3_600_000))
        for buyer in fakes:
            for k in range(int(intensity)):
                events.append(_order(room_id, at + rng.randrange(window), buyer, 10**6 + len(events) + k))
        truth["buyers"] = fakes
    elif kind == "raid":
        target = honest_room(rng, room_id + "-target", max(50, int(peak * rng.uniform(0.3, 1.5))), minutes, t0)
        fans = sorted(
            {e["user_id"] for e in events if e["type"] in ("comment", "like") and e["ts"] < t0 + start * 1000}
        )
        movers = rng.sample(fans, k=min(len(fans), int(intensity)))
        call = rng.choice(_RAID_CALLS).format(t=target.room_id)
        events.append(
            {"type": "utterance", "room_id": room_id, "ts": t0 + start * 1000, "speaker": "host", "text": call}
        )
        lines = rng.sample(_RAID_LINES, 2)
        for fan in movers:
            arrive = t0 + (start + rng.uniform(10, 120)) * 1000
            target.events.append({"type": "enter", "room_id": target.room_id, "ts": int(arrive), "user_id": fan})
            for _ in range(rng.randint(1, 3)):
                target.events.append(
                    {
                        "type": "comment",
                        "room_id": target.room_id,
                        "ts": int(arrive + rng.uniform(5, 240) * 1000),
                        "user_id": fan,
                        "text": rng.choice(lines) + rng.choice(["", "!", "～", "哈哈"]),
                    }
                )
        target.kind, target.intensity = "raid_target", intensity
        target.truth = {"caller": room_id, "raiders": movers}
        truth |= {"target": target.room_id, "raiders": movers, "call": call}
        events.sort(key=lambda e: e["ts"])
        target.events.sort(key=lambda e: e["ts"])
        return [Room(room_id, events, kind, intensity, truth), target]
    else:
        raise ValueError(f"unknown fraud kind {kind!r}; known: {', '.join(KINDS)}")
    events.sort(key=lambda e: e["ts"])
    return [Room(room_id, events, kind, intensity, truth)]


def friendly_promotion(rng: random.Random, room_id: str, peak: int, minutes: int, t0: int = T0) -> list[Room]:
    """The raid's near-miss: a host sends fans to a friend's room; they visit and chat like anyone."""
    caller = honest_room(rng, room_id, peak, minutes, t0)
    target = honest_room(rng, room_id + "-friend", max(50, peak // 2), minutes, t0)
    at = t0 + int(minutes * 60 * 0.5) * 1000
    caller.events.append(
        {
            "type": "utterance",
            "room_id": room_id,
            "ts": at,
            "speaker": "host",
            "text": rng.choice(_PROMO_CALLS).format(t=target.room_id),
        }
    )
    fans = sorted({e["user_id"] for e in caller.events if e["type"] == "comment" and e["ts"] < at})
    for fan in rng.sample(fans, k=min(len(fans), 20)):
        arrive = at + int(rng.uniform(10, 300) * 1000)
        target.events.append({"type": "enter", "room_id": target.room_id, "ts": arrive, "user_id": fan})
        target.events.append(
            {
                "type": "comment",
                "room_id": target.room_id,
                "ts": arrive + 20_000,
                "user_id": fan,
                "text": rng.choice(_PREFIX) + rng.choice(_ASK) + rng.choice(_SUFFIX),
            }
        )
    for room in (caller, target):
        room.events.sort(key=lambda e: e["ts"])
    return [caller, target]


def _add_to_likes_total(events: list[dict[str, Any]], at: int, likes: int) -> None:
    for e in events:
        if e["type"] == "room_stats" and e["ts"] >= at + 120_000:
            e["likes_total"] += likes


def dense_order_block(
    rng: random.Random,
    honest_buyers: int = 600,
    honest_shops: int = 40,
    ring: int = 30,
    ring_shops: int = 6,
    fill: float = 0.8,
    t0: int = T0,
    hours: int = 6,
) -> tuple[list[dict[str, Any]], set[str], set[str]]:
    """FRAUDAR's setting as the issue states it: a ring of `ring` buyers over `ring_shops` shops,
    `fill` of the pairs filled, amid honest buyers ordering from 1-4 shops each (popular shops more),
    the ring's shops being ordinary shops with honest buyers of their own; all within `hours`
    (inside one of the scanner's cross-room windows)."""
    weights = [1 / (k + 1) ** 0.8 for k in range(honest_shops)]
    rows: list[dict[str, Any]] = []
    for b in range(honest_buyers):
        for s in set(rng.choices(range(honest_shops), weights=weights, k=rng.randint(1, 4))):
            rows.append(_shop_order(f"shop{s}", f"buyer{b}", t0 + rng.randrange(hours * 3_600_000), len(rows)))
    targets = rng.sample(range(honest_shops), ring_shops)
    ring_ids = {f"ringbuyer{k}" for k in range(ring)}
    for u in sorted(ring_ids):
        for s in targets:
            if rng.random() < fill:
                rows.append(_shop_order(f"shop{s}", u, t0 + rng.randrange(hours * 3_600_000), len(rows)))
    rows.sort(key=lambda e: e["ts"])
    return rows, ring_ids, {f"shop{s}" for s in targets}


def _shop_order(shop: str, buyer: str, ts: int, n: int) -> dict[str, Any]:
    return {
        "type": "order",
        "room_id": f"room-{shop}",
        "shop_id": shop,
        "ts": ts,
        "order_id": f"{shop}-{n}",
        "user_id": buyer,
        "sku": "sku1",
        "amount": 59.0,
    }
