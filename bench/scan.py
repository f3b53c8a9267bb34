"""Throughput of `clearlive scan` against a bare-matching baseline measured in the same run.

    python bench/scan.py [--events 200000] [--repeat 3]

Workload: chat-sized events (comments and host utterances, mostly Chinese, about 1 in 12 with
something a rule should flag), written to a temporary JSON Lines file.
Baseline: read the same file, decode each line with msgspec into a dict, and run one bare
pyahocorasick automaton over the raw text with every term of the loaded rules (no
normalisation, no context, no findings). ClearLive: the full scan (reader, validation,
normalisation, rules, the bundled claims classifier, findings) with the built-in packs, on one
core; and the same with --no-claims-model.
Prints events/s and MB/s for both and their ratio. Figures vary with the machine's load;
compare the ratio, not absolute numbers.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import ahocorasick
import msgspec

from clearlive.demo import scripts
from clearlive.model.events import format_ts
from clearlive.pipeline.scan import ScanConfig, Scanner
from clearlive.rules import load_rules
from clearlive.sources import InputOptions, ReadStats, read_inputs

# Chat-sized texts: the demo's viewer lines and host lines (honest and violating), so the mix
# has ordinary chat, false-positive traps and real problems.
CLEAN = [*scripts.HONEST_ZH_CHAT, *scripts.BAD_ZH_CHAT, *scripts.HONEST_ZH_HOST, *scripts.HONEST_EN_CHAT]
FLAGGED = [*scripts.BAD_ZH_HOST, *scripts.SPAM_ZH_CHAT, *scripts.RARE_ZH_CHAT, *scripts.RARE_EN_CHAT]


def make_events(path: Path, n: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    enc = msgspec.json.Encoder()
    t0 = 1_793_534_400_000
    with path.open("wb") as fh:
        for i in range(n):
            text = rng.choice(FLAGGED) if rng.random() < 1 / 12 else rng.choice(CLEAN)
            room = f"room-{i % 50}"
            if i % 5 == 0:
                ev = {
                    "type": "utterance",
                    "room_id": room,
                    "ts": format_ts(t0 + i * 20),
                    "text": text,
                    "speaker": "host",
                }
            else:
                ev = {
                    "type": "comment",
                    "room_id": room,
                    "ts": format_ts(t0 + i * 20),
                    "user_id": f"u{i % 997}",
                    "text": text,
                }
            fh.write(enc.encode(ev) + b"\n")
    return path.stat().st_size


def baseline(path: Path, terms: list[str]) -> tuple[float, int]:
    automaton = ahocorasick.Automaton()
    for t in terms:
        automaton.add_word(t, t)
    automaton.make_automaton()
    decode = msgspec.json.Decoder().decode
    hits = 0
    start = time.perf_counter()
    with path.open("rb") as fh:
        for line in fh:
            ev = decode(line)
            for _ in automaton.iter(ev["text"]):
                hits += 1
    return time.perf_counter() - start, hits


def clearlive_scan(path: Path, with_model: bool = True) -> tuple[float, int]:
    scanner = Scanner.from_config(ScanConfig() if with_model else ScanConfig(claims_model=None))
    rejects: list[object] = []
    start = time.perf_counter()
    n = sum(1 for _ in scanner.run(read_inputs([str(path)], InputOptions(), rejects.append, ReadStats())))
    elapsed = time.perf_counter() - start
    if rejects:
        raise SystemExit(f"benchmark input was rejected: {rejects[:3]}")
    return elapsed, n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the median is reported")
    args = ap.parse_args()
    _, rules = load_rules()
    terms = sorted({t for r in rules for t in r.spec.terms})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chat.jsonl"
        size = make_events(path, args.events)
        base_times, cl_times, rules_times = [], [], []
        for _ in range(args.repeat):  # interleaved, so load on the machine hits all alike
            t, hits = baseline(path, terms)
            base_times.append(t)
            t, findings = clearlive_scan(path)
            cl_times.append(t)
            t, rule_findings = clearlive_scan(path, with_model=False)
            rules_times.append(t)
    mb = size / 1e6
    b, c, r = statistics.median(base_times), statistics.median(cl_times), statistics.median(rules_times)
    print(f"workload: {args.events} chat-sized events, {mb:.1f} MB, {len(terms)} rule terms, median of {args.repeat}")
    print(
        f"baseline (msgspec decode + bare pyahocorasick): {args.events / b:>10,.0f} events/s  {mb / b:6.1f} MB/s"
        f"  ({hits} raw term hits)"
    )
    print(
        f"clearlive scan (full pipeline, built-in packs): {args.events / c:>10,.0f} events/s  {mb / c:6.1f} MB/s"
        f"  ({findings} findings)"
    )
    print(
        f"clearlive scan --no-claims-model:               {args.events / r:>10,.0f} events/s  {mb / r:6.1f} MB/s"
        f"  ({rule_findings} findings)"
    )
    print(f"ratio clearlive/baseline time: {c / b:.2f}x (without the claims classifier: {r / b:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
