"""A realistic, seeded multi-room sample: honest and violating hosts in Chinese and English,
chat with bot accounts, viewer curves, product listings, orders; one host transcript as WebVTT."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from clearlive.demo import scripts
from clearlive.model.events import format_ts

T0 = 1_793_534_400_000  # 2026-11-01T12:00:00Z; fixed so the demo is reproducible


@dataclass(frozen=True, slots=True)
class RoomPlan:
    room_id: str
    session_id: str
    anchor_id: str
    shop_id: str
    title: str
    lang: str
    minutes: int
    peak: int
    host_lines: list[str]
    chat: list[str]
    spam: list[str]  # rare lines from spam accounts
    bots: list[str]
    product: dict[str, Any]
    transcript_as_vtt: bool = False
    fake_viewers: tuple[int, int, int] | None = None  # (from minute, extra viewers, minutes): a view-bot step


PLANS = [
    RoomPlan(
        "room-orchard",
        "s-orchard-1101",
        "anchor-lin",
        "shop-gannan",
        "赣南脐橙产地直发",
        "zh",
        45,
        1800,
        scripts.HONEST_ZH_HOST,
        scripts.HONEST_ZH_CHAT,
        [],
        [],
        {
            "sku": "orange-5jin",
            "title": "赣南脐橙 5斤装 果径75-80mm",
            "category": "food",
            "price": 39.9,
            "list_price": 39.9,
            "lowest_price_7d": 39.9,
            "stock": 800,
            "origin": "江西赣州",
            "brand": "果园直发",
        },
    ),
    RoomPlan(
        "room-glow",
        "s-glow-1101",
        "anchor-mei",
        "shop-glow",
        "全网最低价！面霜清仓",
        "zh",
        60,
        9000,
        scripts.BAD_ZH_HOST,
        scripts.BAD_ZH_CHAT,
        scripts.SPAM_ZH_CHAT + scripts.RARE_ZH_CHAT,
        scripts.BOT_ZH_CHAT,
        {
            "sku": "cream-50ml",
            "title": "焕颜修护面霜 50ml 史上最强",
            "category": "cosmetics",
            "price": 199.0,
            "list_price": 1999.0,
            "lowest_price_7d": 199.0,
            "stock": 5000,
            "brand": "焕颜",
        },
        transcript_as_vtt=True,
    ),
    RoomPlan(
        "room-cup",
        "s-cup-1101",
        "anchor-wong",
        "shop-cup",
        "保溫杯特賣",
        "zh-Hant",
        30,
        1200,
        scripts.HANT_HOST,
        scripts.HANT_CHAT,
        scripts.RARE_HANT_CHAT,
        [],
        {"sku": "cup-500", "title": "不鏽鋼保溫杯 500ml", "category": "home", "price": 198.0, "stock": 300},
    ),
    RoomPlan(
        "room-pans",
        "s-pans-1101",
        "anchor-sam",
        "shop-iron",
        "Cast iron night",
        "en",
        40,
        900,
        scripts.HONEST_EN_HOST,
        scripts.HONEST_EN_CHAT,
        [],
        [],
        {"sku": "pan-10", "title": "Cast iron skillet 10 inch", "category": "home", "price": 34.0, "stock": 120},
    ),
    RoomPlan(
        "room-serum",
        "s-serum-1101",
        "anchor-kay",
        "shop-kay",
        "MEGA serum drop",
        "en",
        50,
        4000,
        scripts.BAD_EN_HOST,
        scripts.BAD_EN_CHAT,
        scripts.RARE_EN_CHAT,
        scripts.BOT_EN_CHAT,
        {
            "sku": "serum-30",
            "title": "Glow serum 30ml",
            "category": "cosmetics",
            "price": 29.0,
            "list_price": 120.0,
            "lowest_price_30d": 29.0,
            "stock": 2000,
        },
        fake_viewers=(25, 6000, 5),
    ),
]


def _viewer_curve(rng: random.Random, minutes: int, peak: int) -> list[int]:
    """Online viewers every 10 s: a ramp up, a wavy plateau, a tail off, with noise."""
    points = minutes * 6
    out = []
    for i in range(points):
        x = i / points
        ramp = min(1.0, x / 0.15)
        tail = max(0.15, min(1.0, (1 - x) / 0.12))
        wave = 0.85 + 0.15 * math.sin(2 * math.pi * x * 3)
        out.append(max(1, int(peak * ramp * tail * wave * (0.93 + 0.14 * rng.random()))))
    return out


def _room_events(
    plan: RoomPlan, rng: random.Random, start_ms: int
) -> tuple[list[dict[str, Any]], list[tuple[float, float, str]]]:
    common = {"room_id": plan.room_id, "session_id": plan.session_id}
    events: list[dict[str, Any]] = [
        {
            "type": "session_start",
            **common,
            "ts": format_ts(start_ms),
            "anchor_id": plan.anchor_id,
            "shop_id": plan.shop_id,
            "title": plan.title,
            "lang": plan.lang,
        }
    ]
    events.append({"type": "product", **common, "ts": start_ms + 5_000, **plan.product})
    curve = _viewer_curve(rng, plan.minutes, plan.peak)
    likes = 0
    for i, online in enumerate(curve):
        ts = start_ms + i * 10_000
        if plan.fake_viewers is not None:
            first, extra, length = plan.fake_viewers
            if first * 6 <= i < (first + length) * 6:
                online += extra  # bought viewers: counted online, never entering
        likes += int(online * rng.uniform(0.05, 0.2))
        events.append({"type": "room_stats", **common, "ts": ts, "online": online, "likes_total": likes})
        for _ in range(max(1, online // 400)):
            events.append(
                {
                    "type": "enter",
                    **common,
                    "ts": ts + rng.randint(0, 9_999),
                    "user_id": f"{plan.room_id}-v{rng.randint(1, plan.peak * 3)}",
                }
            )
    cues: list[tuple[float, float, str]] = []
    t = 20.0
    duration = plan.minutes * 60
    while t < duration - 30:
        line = rng.choice(plan.host_lines)
        said = 2.0 + len(line) * 0.18  # seconds the line takes
        cues.append((round(t, 2), round(t + said, 2), line))
        t += said + rng.uniform(8, 40)
    if not plan.transcript_as_vtt:
        for start, end, line in cues:
            events.append(
                {
                    "type": "utterance",
                    **common,
                    "ts": start_ms + int(start * 1000),
                    "text": line,
                    "speaker": "host",
                    "start": start,
                    "end": end,
                    "lang": plan.lang,
                }
            )
    viewers = [f"{plan.room_id}-u{i:03d}" for i in range(max(30, plan.peak // 40))]
    t_ms = start_ms + 15_000
    end_ms = start_ms + duration * 1000
    while t_ms < end_ms:
        t_ms += int(rng.expovariate(1 / 2500))
        events.append(
            {"type": "comment", **common, "ts": t_ms, "user_id": rng.choice(viewers), "text": rng.choice(plan.chat)}
        )
        if plan.spam and rng.random() < 0.02:
            events.append(
                {
                    "type": "comment",
                    **common,
                    "ts": t_ms + 300,
                    "user_id": f"spam-{rng.randint(1, 6)}",
                    "text": rng.choice(plan.spam),
                }
            )
        if rng.random() < 0.15:
            events.append(
                {
                    "type": "like",
                    **common,
                    "ts": t_ms + 100,
                    "user_id": rng.choice(viewers),
                    "count": rng.randint(1, 30),
                }
            )
        if rng.random() < 0.06:
            qty = rng.randint(1, 3)
            events.append(
                {
                    "type": "order",
                    **common,
                    "ts": t_ms + 200,
                    "order_id": f"{plan.room_id}-o{t_ms}",
                    "user_id": rng.choice(viewers),
                    "sku": plan.product["sku"],
                    "qty": qty,
                    "amount": round(qty * plan.product["price"], 2),
                }
            )
    # Bot accounts: a burst of templated praise from fresh accounts every few minutes.
    if plan.bots:
        for burst_at in range(start_ms + 300_000, end_ms, 420_000):
            line = rng.choice(plan.bots)  # a burst pushes one script line, lightly varied
            for k in range(rng.randint(12, 25)):
                events.append(
                    {
                        "type": "comment",
                        **common,
                        "ts": burst_at + k * rng.randint(150, 600),
                        "user_id": f"{plan.room_id}-bot{rng.randint(1, 40):02d}",
                        "text": line + rng.choice(["", "!", "!!", "~", "👍", "2", "！！"]),
                    }
                )
    events.append({"type": "session_end", **common, "ts": end_ms})
    events.sort(key=lambda e: e["ts"] if isinstance(e["ts"], int) else start_ms)
    for e in events:
        if isinstance(e["ts"], int):
            e["ts"] = format_ts(e["ts"])
    return events, cues


def _vtt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


@dataclass(frozen=True, slots=True)
class DemoInput:
    path: Path
    room_id: str
    session_id: str
    anchor_id: str
    t0: str
    lang: str


def generate(out_dir: Path, seed: int = 20261101) -> list[DemoInput]:
    """Write one .jsonl per room (and a .vtt for transcript rooms) into out_dir; return the inputs."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    encoder = msgspec.json.Encoder()
    inputs: list[DemoInput] = []
    for i, plan in enumerate(PLANS):
        start_ms = T0 + i * 3_600_000
        events, cues = _room_events(plan, rng, start_ms)
        path = out_dir / f"{plan.room_id}.jsonl"
        path.write_bytes(b"".join(encoder.encode(e) + b"\n" for e in events))
        inputs.append(DemoInput(path, plan.room_id, plan.session_id, plan.anchor_id, format_ts(start_ms), plan.lang))
        if plan.transcript_as_vtt:
            vtt = out_dir / f"{plan.room_id}.host.vtt"
            body = ["WEBVTT", ""]
            for n, (start, end, line) in enumerate(cues, start=1):
                body += [str(n), f"{_vtt_time(start)} --> {_vtt_time(end)}", f"<v host>{line}", ""]
            vtt.write_text("\n".join(body), encoding="utf-8")
            inputs.append(DemoInput(vtt, plan.room_id, plan.session_id, plan.anchor_id, format_ts(start_ms), plan.lang))
    return inputs
