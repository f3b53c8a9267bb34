"""A fixed scan to count instructions with callgrind: repeatable on a shared, noisy machine.

    valgrind --tool=callgrind python bench/instructions.py --events 10000 [--no-claims-model]
    valgrind --tool=callgrind python bench/instructions.py --events 10000 --setup-only [--no-claims-model]

Both runs write the same events and build the same scanner; only the first scans. The difference of
the two totals, divided by the events, is the work per event: compare it between two commits
(docs/performance.md; run this file with PYTHONPATH pointing at the other checkout). The workload is
bench/scan.py's, with its fixed seed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from scan import make_events

from clearlive.watch.scan.scanner import ScanConfig, Scanner
from clearlive.watch.sources import InputOptions, ReadStats, read_inputs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--no-claims-model", action="store_true")
    ap.add_argument("--setup-only", action="store_true", help="write the events and build the scanner, scan nothing")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.jsonl"
        make_events(path, args.events)
        scanner = Scanner.from_config(ScanConfig(claims_model=None) if args.no_claims_model else ScanConfig())
        if not args.setup_only:
            findings = sum(
                1 for _ in scanner.run(read_inputs([str(path)], InputOptions(), lambda r: None, ReadStats()))
            )
            print(f"{args.events} events, {findings} findings")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
