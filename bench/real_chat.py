"""Real live chat as an honest baseline for the chat detectors, and rings injected into it.

    python bench/fraud_grid.py --part chat --chat YouTube-Live-Chat-Dataset   (a folder or CSV files)

The data: github.com/andrewsuadnya/YouTube-Live-Chat-Dataset (Andrew Suadnya, March 2025): the
chat of three YouTube live streams as the YouTube Data API gave it (liveChatMessages, polled every
5 seconds; super chats and deleted messages left out): an IRL stream of about 100,000 viewers
(28,026 messages in 36 minutes) and two news streams of 20,000 and 9,000 (6,686 and 7,460
messages over about two hours each). Columns `video_id, author, message, published_at`. Its terms
are "academic and non-commercial use only" under YouTube's terms of service: nothing of it is
committed here and this script only reads a local copy (clone the repository; the CSV files are in
one folder per stream, give the clone's folder). Authors are replaced by a hash before anything
else sees them.

Each stream is one room of `comment` events (no viewer counts: the data has none), scanned with the
default scanner without the claims model. The grid prints:

- every `fraud.*` finding on the real chat, by room and rule, with the accounts and the line, so
  that each can be judged (these streams have real spammers: a finding on one account posting the
  same line 79 times is not a false alarm of the templated-chat rule, which needs many accounts);
- the recall of a ring injected into each stream (the literature generator's shape, in English: N
  accounts posting 3 to 6 templated lines with filler and emoji, in 2 to 4 bursts of 15 to 60
  seconds a few minutes apart), over `trials` random start times per stream, judged on the 30
  minutes of real chat around it: a trial counts when a `fraud.templated_chat` finding names at
  least one ring account.
"""

from __future__ import annotations

import csv
import hashlib
import random
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from clearlive.model.events import Event
from clearlive.model.findings import Finding
from clearlive.watch.scan.scanner import ScanConfig, Scanner

RING_SIZES = (10, 20, 40)
RING_LINES = [
    "this seller is legit i bought three already",
    "best price anywhere dont miss this deal",
    "my mom loves it buy it now guys",
    "arrived in two days quality is amazing",
    "cheaper than the store by half trust me",
    "everyone at my office ordered one",
    "used it for a month and my skin is so much better",
    "last chance at this price go go go",
]
RING_FILL = ["", "", "omg ", "guys ", "honestly ", "wow "]
RING_END = ["", "", "!", "!!", " 🔥", " 👍", " ❤️", "..."]


def load_chat(path: str | Path) -> tuple[list[dict[str, Any]], Counter[str]]:
    """Comment rows of every stream under `path` (a CSV file or a folder searched for them), sorted
    by time; and the counts of rows left out."""
    root = Path(path)
    files = sorted(root.rglob("*.csv")) if root.is_dir() else [root]
    skipped: Counter[str] = Counter()
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str, str]] = set()
    for f in files:
        with f.open(newline="", encoding="utf-8", errors="replace") as fh:
            for n, r in enumerate(csv.DictReader(fh), start=2):
                key = (
                    r.get("video_id") or "",
                    r.get("author") or "",
                    r.get("message") or "",
                    r.get("published_at") or "",
                )
                if key in seen:  # the same message in a stream's two exports
                    skipped["duplicate"] += 1
                    continue
                seen.add(key)
                try:
                    ts = int(datetime.fromisoformat(key[3]).timestamp() * 1000)
                except ValueError:
                    if not skipped["bad published_at"]:
                        print(f"{f}: line {n}: field published_at: unrecognised time {key[3]!r} (further ones counted)")
                    skipped["bad published_at"] += 1
                    continue
                if not key[0] or not key[2].strip():
                    skipped["no video or message"] += 1
                    continue
                author = "u" + hashlib.blake2b(key[1].encode(), digest_size=6).hexdigest()
                rows.append({"type": "comment", "room_id": f"yt-{key[0]}", "ts": ts, "user_id": author, "text": key[2]})
    rows.sort(key=lambda r: (r["ts"], r["room_id"]))
    return rows, skipped


def fraud_findings(rows: list[dict[str, Any]]) -> list[Finding]:
    events = [msgspec.convert({**r, "id": f"c{i}"}, Event) for i, r in enumerate(rows)]
    scanner = Scanner.from_config(ScanConfig(claims_model=None))
    return [f for f in scanner.run(events) if f.rule_id.startswith("fraud.")]


def ring(rng: random.Random, room: str, start_ms: int, size: int) -> list[dict[str, Any]]:
    """A ring of `size` accounts: the literature generator's chat_ring, in English."""
    accounts = [f"ring{rng.randrange(10**6)}" for _ in range(size)]
    lines = rng.sample(RING_LINES, rng.randint(3, 6))
    out = []
    for b in range(rng.randint(2, 4)):
        at = start_ms + b * rng.randint(120, 400) * 1000
        span = rng.uniform(15, 60) * 1000
        for acc in rng.sample(accounts, k=max(3, int(size * rng.uniform(0.6, 1.0)))):
            text = rng.choice(RING_FILL) + rng.choice(lines) + rng.choice(RING_END)
            out.append(
                {"type": "comment", "room_id": room, "ts": at + int(rng.random() * span), "user_id": acc, "text": text}
            )
    return out


def chat_grid(path: str, rng: random.Random, trials: int = 10) -> None:
    rows, skipped = load_chat(path)
    by_room: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_room[r["room_id"]].append(r)
    print(f"real chat: {len(rows)} comments in {len(by_room)} streams; left out: {dict(skipped)}")
    for room, rs in sorted(by_room.items()):
        minutes = (rs[-1]["ts"] - rs[0]["ts"]) / 60000
        print(f"  {room}: {len(rs)} comments, {len({r['user_id'] for r in rs})} accounts, {minutes:.0f} min")
    found = fraud_findings(rows)
    print(f"fraud findings on the real chat: {len(found)}")
    for f in found:
        facts = f.facts or {}
        accounts = facts.get("n_accounts") or len(facts.get("accounts", []) or [])
        print(f"  {f.room_id} {f.rule_id} at {f.ts}: {accounts} accounts; {f.evidence.text[:100]!r}")
    print(f"{'ring accounts':<16}" + "".join(f"{room[:14]:>16}" for room in sorted(by_room)))
    for size in RING_SIZES:
        cells = []
        for room, rs in sorted(by_room.items()):
            hits = 0
            for _ in range(trials):
                t0 = rs[0]["ts"] + rng.randrange(max(1, rs[-1]["ts"] - rs[0]["ts"] - 15 * 60_000))
                real = [r for r in rs if t0 - 10 * 60_000 <= r["ts"] < t0 + 20 * 60_000]
                injected = ring(rng, room, t0, size)
                named = {
                    a
                    for f in fraud_findings(sorted(real + injected, key=lambda r: r["ts"]))
                    if f.rule_id == "fraud.templated_chat"
                    for a in (f.facts or {}).get("accounts", [])
                }
                hits += any(a.startswith("ring") for a in named)
            cells.append(f"{hits}/{trials}")
        print(f"{size:<16}" + "".join(f"{c:>16}" for c in cells))
