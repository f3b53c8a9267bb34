"""Backtest the scores (issue #22): score one window, measure the next. On the demo's history, whose
hidden shop quality is known, and on any events file (e.g. the Olist data converted by
bench/olist_events.py):

    python bench/backtest.py                       # the demo: 180 days, scored on days 0-90
    python bench/backtest.py EVENTS.jsonl --as-of 2018-01-01 --window 90 [--config FILE]

Prints, per outcome of the next window, each predictor's Spearman correlation (signed: positive
means it ranks better service higher) with its 90% bootstrap interval and its bottom-decile
precision; on the demo also each predictor's Spearman against the hidden quality.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from scipy.stats import spearmanr

from clearlive.demo.commerce import HIDDEN, START, generate_history
from clearlive.measure import CommerceTables, ScoreConfig
from clearlive.measure.backtest import backtest
from clearlive.model.events import parse_ts
from clearlive.watch.sources import InputOptions, ReadStats, RejectSink, read_inputs

DAY = 86_400_000


def run(path: Path, config: ScoreConfig, as_of: int | None) -> dict:
    tables = CommerceTables().add_all(read_inputs([str(path)], InputOptions(), RejectSink(None), ReadStats()))
    return backtest(tables, config, as_of)


def print_table(result: dict) -> None:
    print(
        f"shops scored {result['shops_scored']}, compared {result['shops_compared']} "
        f"(at least {result['min_next_orders']} orders in the next window)"
    )
    for outcome, row in result["outcomes"].items():
        print(f"\n{outcome}")
        print(f"  {'predictor':26} {'n':>4} {'spearman':>9} {'90% interval':>16} {'bottom-decile':>14}")
        for name, r in row.items():
            iv = r["spearman_interval"]
            rho = "-" if r["spearman"] is None else f"{r['spearman']:.2f}"
            ivs = "-" if iv is None else f"[{iv[0]:.2f}, {iv[1]:.2f}]"
            print(f"  {name:26} {r['n']:>4} {rho:>9} {ivs:>16} {r['bottom_decile_precision']:>14.2f}")


def demo(config: ScoreConfig) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = generate_history(Path(tmp) / "history.jsonl", days=180)
        as_of = START + 90 * DAY
        result = run(path, config, as_of)
        print("demo history: 180 days, scored on days 0-90, measured on days 90-180")
        print_table(result)
        from clearlive.measure import score_tables
        from clearlive.measure.engines import DuckDBEngine

        tables = CommerceTables().add_all(read_inputs([str(path)], InputOptions(), RejectSink(None), ReadStats()))
        scores = [s for s in score_tables(tables, config, DuckDBEngine(), as_of) if s.entity_type == "shop"]
        truth = {s.entity_id: HIDDEN["shops"][s.entity_id] for s in scores if s.score is not None}
        quality = [
            truth[s.entity_id].quality + truth[s.entity_id].logistics + truth[s.entity_id].service
            for s in scores
            if s.score is not None
        ]
        print("\nagainst the hidden quality + logistics + service of each shop")
        for name, values in {
            "score": [s.score for s in scores if s.score is not None],
            "gmv": [s.traffic["gmv"] for s in scores if s.score is not None],
        }.items():
            print(f"  {name:26} spearman {spearmanr(values, quality).statistic:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("events", nargs="?", type=Path)
    ap.add_argument("--as-of")
    ap.add_argument("--window", type=int, default=90)
    ap.add_argument("--config", type=Path)
    args = ap.parse_args()
    config = ScoreConfig.load(args.config, args.window)
    if args.events is None:
        demo(config)
    else:
        print_table(run(args.events, config, parse_ts(args.as_of) if args.as_of else None))


if __name__ == "__main__":
    main()
