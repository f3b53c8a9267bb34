"""Precision and recall of the fake-viewer detectors on generated ground truth, per intensity.

    python bench/fraud_eval.py [--rooms 60] [--seed 1]

Each intensity gets `--rooms` honest rooms and `--rooms` rooms with an injected step of fake
viewers (a share of the room's peak, arriving without enter events, for five minutes), plus frozen
counts. A room counts as flagged when the detector raises any fraud.viewers finding in it.
"""

from __future__ import annotations

import argparse
import random
import sys

import msgspec

from clearlive.demo.inject import (
    honest_audience,
    honest_order_graph,
    inject_plateau,
    inject_ring,
    inject_viewer_ramp,
    inject_viewer_step,
    without_enters,
)
from clearlive.model.events import Event
from clearlive.watch.detectors.fraudar import densest_block
from clearlive.watch.detectors.viewers import ViewerCurveDetector
from clearlive.watch.scan.scanner import Scanner

T0 = 1_793_534_400_000


def flagged(events: list[dict]) -> bool:
    decoded = [msgspec.convert({**e, "id": f"e{i}"}, Event) for i, e in enumerate(events)]
    return any(True for _ in Scanner([ViewerCurveDetector()]).run(decoded))


def row(label: str, hits: int, rooms: int, false_alarms: int) -> None:
    recall = hits / rooms
    precision = hits / (hits + false_alarms) if hits + false_alarms else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(f"{label:<28}{recall:>8.2f}{precision:>11.2f}{f1:>7.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rooms", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    def room(i: int) -> tuple[list[dict], int, int]:
        peak = rng.choice([300, 1500, 8000, 40000])
        minutes = rng.choice([30, 45, 60])
        return honest_audience(rng, f"r{i}", T0, minutes, peak), peak, minutes

    false_alarms = sum(flagged(room(i)[0]) for i in range(args.rooms))
    print(f"honest rooms: {args.rooms}, false alarms: {false_alarms} ({false_alarms / args.rooms:.1%})")
    print(f"{'injection':<28}{'recall':>8}{'precision':>11}{'F1':>7}")
    for share in (0.1, 0.2, 0.3, 0.5, 1.0, 3.0):
        hits = 0
        for i in range(args.rooms):
            events, peak, minutes = room(i)
            at = T0 + rng.randint(minutes // 4, minutes // 2) * 60_000
            hits += flagged(inject_viewer_step(events, at, int(peak * share), 5 * 60_000))
        recall = hits / args.rooms
        precision = hits / (hits + false_alarms) if hits + false_alarms else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        print(f"{'step +' + format(share, '.0%') + ' of peak':<28}{recall:>8.2f}{precision:>11.2f}{f1:>7.2f}")
    for share in (0.3, 0.5, 1.0):
        hits = 0
        for i in range(args.rooms):
            events, peak, minutes = room(i)
            at = T0 + rng.randint(minutes // 4, minutes // 2) * 60_000
            hits += flagged(inject_viewer_ramp(events, at, int(peak * share), 10 * 60_000, 5 * 60_000))
        row(f"ramp +{share:.0%} over 10 min", hits, args.rooms, false_alarms)
    quiet = sum(flagged(without_enters(room(i)[0])) for i in range(args.rooms))
    print(f"feeds without enter events: {args.rooms} honest rooms, false alarms: {quiet}")
    for share in (1.0, 3.0):
        hits = 0
        for i in range(args.rooms):
            events, peak, minutes = room(i)
            at = T0 + rng.randint(minutes // 4, minutes // 2) * 60_000
            hits += flagged(without_enters(inject_viewer_ramp(events, at, int(peak * share), 5 * 60_000, 5 * 60_000)))
        row(f"no enters, ramp +{share:.0%}/5 min", hits, args.rooms, quiet)
    hits = 0
    for i in range(args.rooms):
        events, peak, minutes = room(i)
        hits += flagged(inject_plateau(events, T0 + minutes // 3 * 60_000, 3 * 60_000))
    recall = hits / args.rooms
    precision = hits / (hits + false_alarms) if hits + false_alarms else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(f"{'frozen count for 3 min':<28}{recall:>8.2f}{precision:>11.2f}{f1:>7.2f}")
    print()
    print("brushing rings on a buyer-shop graph (3,000 honest buyers, 300 shops; a ring of 40 buyers")
    print("and 8 shops at fill 0.7), FRAUDAR, by camouflage edges per fake buyer:")
    print(f"{'camouflage':<28}{'recall':>8}{'precision':>11}{'F1':>7}{'shops right':>13}")
    for camouflage in (0, 2, 4, 8):
        rows = []
        for k in range(5):
            g_rng = random.Random(args.seed * 100 + k)
            edges, fraud = inject_ring(g_rng, honest_order_graph(g_rng, 3000, 300), 40, 8, 0.7, camouflage, 300)
            buyers, shops, _ = densest_block(edges)
            caught = len(buyers & fraud)
            rows.append((caught / len(fraud), caught / max(1, len(buyers)), shops == {f"target{t}" for t in range(8)}))
        r = sum(x[0] for x in rows) / len(rows)
        p = sum(x[1] for x in rows) / len(rows)
        right = sum(x[2] for x in rows)
        print(f"{camouflage:<28}{r:>8.2f}{p:>11.2f}{2 * p * r / (p + r):>7.2f}{right:>10}/{len(rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
