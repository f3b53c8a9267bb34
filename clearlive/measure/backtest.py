"""Does a score predict service? Score shops on one window, measure what their buyers got in the next.

For every shop scored as of `as_of`, the outcomes of the orders it took in the following window of
the same length, as far as the data knows them:

- `one_star_share`: first reviews rated 1 / orders reviewed;
- `late_share`: orders delivered after their promise or never / orders due (not cancelled);
- `refund_share`: orders with any refund / orders;
- `repeat_share`: of the shop's buyers in the scored window, the share who bought from it again in
  the next (higher is better; for the others lower is better).

Each predictor (the composite score, each dimension, GMV alone, and the naive mean star rating of
the scored window) is compared with each outcome by Spearman's rank correlation, signed so that
positive means "ranks the better service higher", with a bootstrap interval over shops, and by
bottom-decile precision: of the tenth of shops the predictor ranks worst, the share that are among
the tenth with the worst outcome (chance: about 0.1).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import spearmanr

from clearlive.measure import definitions as sql
from clearlive.measure.config import ScoreConfig
from clearlive.measure.engines import DuckDBEngine
from clearlive.measure.score import EntityScore, default_as_of
from clearlive.measure.tables import CommerceTables

OUTCOMES = {"one_star_share": False, "late_share": False, "refund_share": False, "repeat_share": True}
MIN_NEXT_ORDERS = 20  # a shop with fewer orders in the next window has too little outcome to compare


def backtest(
    tables: CommerceTables,
    config: ScoreConfig,
    as_of_ms: int | None = None,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.9,
) -> dict[str, Any]:
    """Score as of `as_of_ms` (default: one window before the end of the data) and measure the next window."""
    from clearlive.measure import score_tables

    arrow = tables.tables()
    newest = arrow["orders"].column("ts").to_pylist()
    data_end = default_as_of(max(newest) if newest else None)
    as_of_ms = as_of_ms if as_of_ms is not None else data_end - config.window_days * sql.DAY
    next_end = as_of_ms + config.window_days * sql.DAY
    scores = {s.entity_id: s for s in score_tables(tables, config, DuckDBEngine(), as_of_ms) if s.entity_type == "shop"}
    engine = DuckDBEngine()
    engine.load(arrow)  # uncut: the outcomes of the next window, as far as the data goes
    engine.materialize(
        "order_facts",
        sql.order_facts(config.reasons, config.misleading_review_terms, int(config.default_promise_hours * sql.HOUR)),
    )
    outcomes = _outcomes(engine, as_of_ms, next_end, data_end, config.window_days, bool(arrow["shipments"].num_rows))
    naive = {
        r["shop_id"]: float(r["mean_rating"])
        for r in engine.rows(
            f"SELECT shop_id, AVG(first_rating) AS mean_rating FROM order_facts "
            f"WHERE ts >= {as_of_ms - config.window_days * sql.DAY} AND ts < {as_of_ms} "
            f"AND review_ts < {as_of_ms} GROUP BY shop_id"
        )
    }
    shops = sorted(
        s for s, sc in scores.items() if sc.score is not None and (outcomes.get(s, {}).get("n") or 0) >= MIN_NEXT_ORDERS
    )
    predictors = _predictors(shops, scores, naive)
    rng = np.random.default_rng(seed)
    table: dict[str, dict[str, Any]] = {}
    for outcome, higher_better in OUTCOMES.items():
        values: dict[str, float] = {s: v for s in shops if (v := outcomes[s].get(outcome)) is not None}
        row = {}
        for name, pred in predictors.items():
            keep = [s for s in shops if pred.get(s) is not None and s in values]
            if len(keep) < 5:
                continue
            x = np.array([pred[s] for s in keep], dtype=float)
            y = np.array([values[s] if higher_better else -values[s] for s in keep], dtype=float)
            row[name] = {"n": len(keep), **_spearman_with_interval(x, y, rng, resamples, level), **_bottom(x, y, keep)}
        if row:
            table[outcome] = row
    return {
        "as_of": as_of_ms,
        "window_days": config.window_days,
        "next_window_end": next_end,
        "shops_scored": sum(1 for s in scores.values() if s.score is not None),
        "shops_compared": len(shops),
        "min_next_orders": MIN_NEXT_ORDERS,
        "interval": level,
        "outcomes": table,
    }


def _outcomes(
    engine: DuckDBEngine, start: int, end: int, data_end: int, days: int, has_shipments: bool
) -> dict[str, dict[str, float | int | None]]:
    rows = engine.rows(f"""
SELECT shop_id, COUNT(*) AS n,
       SUM(CASE WHEN first_rating IS NOT NULL THEN 1 ELSE 0 END) AS reviewed,
       SUM(CASE WHEN first_rating = 1 THEN 1 ELSE 0 END) AS one_star,
       SUM(CASE WHEN promised_ts <= {data_end} AND cancelled_ts IS NULL THEN 1 ELSE 0 END) AS due,
       SUM(CASE WHEN promised_ts <= {data_end} AND cancelled_ts IS NULL
                 AND (delivered_ts IS NULL OR delivered_ts > promised_ts) THEN 1 ELSE 0 END) AS late,
       SUM(CASE WHEN refund_ts IS NOT NULL THEN 1 ELSE 0 END) AS refunded
FROM order_facts WHERE shop_id IS NOT NULL AND ts >= {start} AND ts < {end} GROUP BY shop_id
""")
    repeat = {
        r["shop_id"]: (int(r["back"]), int(r["buyers"]))
        for r in engine.rows(f"""
WITH before AS (SELECT DISTINCT shop_id, user_id FROM orders WHERE ts >= {start - days * sql.DAY} AND ts < {start}),
after AS (SELECT DISTINCT shop_id, user_id FROM orders WHERE ts >= {start} AND ts < {end})
SELECT b.shop_id, COUNT(*) AS buyers, SUM(CASE WHEN a.user_id IS NOT NULL THEN 1 ELSE 0 END) AS back
FROM before b LEFT JOIN after a ON a.shop_id = b.shop_id AND a.user_id = b.user_id
WHERE b.shop_id IS NOT NULL GROUP BY b.shop_id
""")
    }

    def share(a: Any, b: Any) -> float | None:
        return int(a) / int(b) if b else None

    out: dict[str, dict[str, float | int | None]] = {}
    for r in rows:
        back, buyers = repeat.get(r["shop_id"], (0, 0))
        out[r["shop_id"]] = {
            "n": int(r["n"]),
            "one_star_share": share(r["one_star"], r["reviewed"]),
            "late_share": share(r["late"], r["due"]) if has_shipments else None,
            "refund_share": share(r["refunded"], r["n"]),
            "repeat_share": share(back, buyers),
        }
    return out


def _predictors(
    shops: list[str], scores: dict[str, EntityScore], naive: dict[str, float]
) -> dict[str, dict[str, float | None]]:
    out: dict[str, dict[str, float | None]] = {"score": {s: scores[s].score for s in shops}}
    dims = sorted({d for s in shops for d in scores[s].dimensions})
    for d in dims:
        out[f"dimension:{d}"] = {s: scores[s].dimensions[d].score if d in scores[s].dimensions else None for s in shops}
    out["gmv"] = {s: (scores[s].traffic or {}).get("gmv") for s in shops}
    out["naive_mean_rating"] = {s: naive.get(s) for s in shops}
    return out


def _spearman_with_interval(
    x: np.ndarray, y: np.ndarray, rng: np.random.Generator, resamples: int, level: float
) -> dict[str, Any]:
    rho = _rho(x, y)
    draws = []
    for _ in range(resamples):
        idx = rng.integers(0, len(x), len(x))
        r = _rho(x[idx], y[idx])
        if r is not None:
            draws.append(r)
    tail = (1 - level) / 2 * 100
    interval = [round(float(np.percentile(draws, tail)), 3), round(float(np.percentile(draws, 100 - tail)), 3)]
    return {"spearman": None if rho is None else round(rho, 3), "spearman_interval": interval if draws else None}


def _rho(x: np.ndarray, y: np.ndarray) -> float | None:
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return None  # a constant has no ranking
    return float(spearmanr(x, y).statistic)


def _bottom(x: np.ndarray, y: np.ndarray, keys: list[str]) -> dict[str, Any]:
    """Of the k shops the predictor ranks worst (k = a tenth, at least 1; ties by shop id), the share
    that are among the k with the worst outcome."""
    k = max(1, round(len(keys) / 10))
    worst_pred = {keys[i] for i in sorted(range(len(keys)), key=lambda i: (x[i], keys[i]))[:k]}
    worst_out = {keys[i] for i in sorted(range(len(keys)), key=lambda i: (y[i], keys[i]))[:k]}
    return {"bottom_decile_precision": round(len(worst_pred & worst_out) / k, 3), "bottom_k": k}
