"""The literature generator's grid (run through `python bench/fraud_grid.py --part literature`).

Honest rooms of 50 to 50,000 viewers with their own rhythms, hosts sending fans to a friend's
room, and each fraud kind of clearlive/reward/simulation/live_fraud.py at several intensities and room
sizes. Every world (a room, or a raid's caller and target) is scanned on its own with the default
scanner (no claims model); a room is flagged when any `fraud.*` finding names it.
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict

import msgspec

from clearlive.model.events import Event
from clearlive.reward.simulation.live_fraud import Room, dense_order_block, fraud_room, friendly_promotion, honest_room
from clearlive.watch.detectors.fraudar import FraudarDetector
from clearlive.watch.scan.scanner import ScanConfig, Scanner

SIZES = (50, 80, 200, 500, 1000, 4000, 15000, 50000)
INTENSITIES = {
    "audience": (1.5, 2.0, 3.0, 5.0),  # the factor the audience multiplies by
    "chat_ring": (10, 20, 40),  # ring accounts
    "like_farm": (100, 300, 800),  # likes per event
    "brushing": (4, 6, 10),  # orders per fake buyer within the hour
    "raid": (8, 15, 30),  # fans who move
}
SIZE_SWEEP = {"audience": 2.0, "chat_ring": 20, "like_farm": 300, "brushing": 6, "raid": 15}
FRAUD_SIZES = (80, 200, 500, 1000, 4000)  # the independent evaluation's range, drawn per fraud room


def flagged_rules(world: list[Room]) -> dict[str, set[str]]:
    rows = sorted((e for r in world for e in r.events), key=lambda e: e["ts"])
    events = [msgspec.convert({**e, "id": f"e{i}"}, Event) for i, e in enumerate(rows)]
    out: dict[str, set[str]] = defaultdict(set)
    for f in Scanner.from_config(ScanConfig(claims_model=None)).run(events):
        if f.rule_id.startswith("fraud."):
            out[f.room_id].add(f.rule_id)
    return out


def literature_grid(rng: random.Random, honest: int, rooms: int, sweep_rooms: int | None = None) -> None:
    started = time.time()
    print(f"literature generator: {honest} honest rooms, {rooms} rooms per kind and intensity")
    worlds = [[honest_room(rng, f"h{i}", SIZES[i % len(SIZES)], rng.choice([30, 45, 60]))] for i in range(honest)]
    worlds += [friendly_promotion(rng, f"p{i}", rng.choice(SIZES[:6]), 40) for i in range(max(2, honest // 10))]
    cells: dict[tuple[str, float], list[list[Room]]] = defaultdict(list)
    for kind, levels in INTENSITIES.items():
        for x in levels:
            for j in range(rooms):
                cells[(kind, x)].append(fraud_room(rng, f"{kind}-{x}-{j}", kind, x, rng.choice(FRAUD_SIZES), 40))
    sweep: dict[tuple[str, int], list[list[Room]]] = defaultdict(list)
    for kind, x in SIZE_SWEEP.items():
        for size in SIZES:
            for j in range(sweep_rooms or max(1, rooms // 2)):
                sweep[(kind, size)].append(fraud_room(rng, f"s-{kind}-{size}-{j}", kind, x, size, 40))

    honest_rooms = [(r, flagged_rules(w)[r.room_id]) for w in worlds for r in w]
    alarms = [(r, rules) for r, rules in honest_rooms if rules]
    by_rule = Counter(rule for _, rules in alarms for rule in rules)
    print(f"honest rooms: {len(honest_rooms)}, false alarms: {len(alarms)} ({len(alarms) / len(honest_rooms):.1%})")
    for size in SIZES:
        in_size = [(r, rules) for r, rules in honest_rooms if r.truth.get("peak") == size]
        if in_size:
            print(f"  {size:>6} viewers: {sum(bool(x) for _, x in in_size)}/{len(in_size)}")
    if by_rule:
        print("  by rule: " + ", ".join(f"{rule} {n}" for rule, n in sorted(by_rule.items())))
    print(f"{'kind':<12}{'intensity':>10}{'recall':>8}   rules that fired")
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (kind, x), ws in cells.items():
        found, fired = 0, Counter()
        for w in ws:
            rules = flagged_rules(w)[w[0].room_id]
            found += bool(rules)
            fired.update(rules)
        per_kind[kind][0] += found
        per_kind[kind][1] += len(ws)
        print(f"{kind:<12}{x:>10g}{found / len(ws):>8.2f}   {', '.join(f'{r} {n}' for r, n in sorted(fired.items()))}")
    total = sum(v[0] for v in per_kind.values()), sum(v[1] for v in per_kind.values())
    print(
        "per kind: "
        + ", ".join(f"{k} {v[0] / v[1]:.2f}" for k, v in per_kind.items())
        + f"; all {total[0] / total[1]:.2f}"
    )
    print(f"{'kind':<12}{'viewers':>10}{'recall':>8}   (one intensity: {SIZE_SWEEP})")
    for (kind, size), ws in sweep.items():
        found = sum(bool(flagged_rules(w)[w[0].room_id]) for w in ws)
        print(f"{kind:<12}{size:>10}{found / len(ws):>8.2f}")
    exact = found_ring = 0
    trials = 10
    for seed in range(trials):
        rows, ring, shops = dense_order_block(random.Random(seed))
        events = [msgspec.convert({**r, "id": f"e{i}"}, Event) for i, r in enumerate(rows)]
        hits = list(Scanner([FraudarDetector()]).run(events))
        named = set(hits[0].facts["shops"]) if hits else set()
        found_ring += bool(hits and len(set(hits[0].facts["buyers"]) & ring) >= len(ring) // 2)
        exact += named == shops
    print(
        f"FRAUDAR, 30 buyers x 6 shops at 80% amid 600 honest buyers over 40 shops: found {found_ring}/{trials},"
        f" ring shops named exactly {exact}/{trials}"
    )
    print(f"({time.time() - started:.0f} s)")
