"""Shop scoring on many orders: DuckDB (ClearLive's SQL) against a straightforward pandas version.

    python bench/score_orders.py [--orders 10000000] [--shops 20000] [--keep DIR]

Generates Parquet tables (orders; refunds for 6% of orders, reviews for 30%, complaints for 1%,
two shipment events per order, service chats for 10%; products), then, each in its own process so
peak memory is its own:

- duckdb: `clearlive.measure.definitions` (order facts, shop metrics, chat replies, categories)
  over the Parquet files in place, as `clearlive score` runs it;
- pandas: the same metrics written the way a data scientist would (merge, groupby), from the same
  Parquet files;
- duckdb-full: the whole `score_all` (shops and hosts: listings as they stood, repeat purchase,
  returning viewers, the ledger), for scale.

Prints wall time (after imports) and peak RSS of each, the pandas/duckdb ratio, and checks that both give the same
counts for every shop. Issue #5 aims at DuckDB >= 10x pandas.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DAY = 86_400_000
HOUR = 3_600_000
END = 1_793_577_600_000  # 2026-11-02T00:00:00Z
WINDOW_DAYS, LAG_DAYS = 90, 14
SELLER = ["quality", "damaged", "not_as_described", "质量问题"]
OTHER = ["changed_mind", "wrong_size", "不想要了"]


def generate(out: Path, n: int, shops: int, seed: int = 1) -> dict[str, str]:
    rng = np.random.default_rng(seed)
    ids = np.arange(n)
    ts = END - rng.integers(0, 110 * DAY, n)
    shop = rng.zipf(1.3, n) % shops
    order_ids = pa.array(ids).cast(pa.string())
    paths = {}

    def write(name: str, table: pa.Table) -> None:
        paths[name] = str(out / f"{name}.parquet")
        pq.write_table(table, paths[name])

    write(
        "orders",
        pa.table(
            {
                "order_id": order_ids,
                "user_id": pa.array(rng.integers(0, n // 3, n)).cast(pa.string()),
                "sku": pa.array(shop * 10 + rng.integers(0, 10, n)).cast(pa.string()),
                "qty": pa.array(np.ones(n, dtype=np.int64)),
                "amount": pa.array(rng.uniform(5, 500, n).round(2)),
                "room_id": pa.array(shop % 5000).cast(pa.string()),
                "session_id": pa.array(shop * 1000 + (ts // DAY) % 1000).cast(pa.string()),
                "anchor_id": pa.array(shop % 3000).cast(pa.string()),
                "shop_id": pa.array(shop).cast(pa.string()),
                "ts": pa.array(ts),
                "promised_ts": pa.nulls(n, pa.int64()),  # the default promise: 96 h after payment
            }
        ),
    )

    def subset(share: float) -> np.ndarray:
        return np.flatnonzero(rng.random(n) < share)

    r = subset(0.06)
    reasons = np.array(SELLER + OTHER)
    write(
        "refunds",
        pa.table(
            {
                "order_id": order_ids.take(pa.array(r)),
                "shop_id": pa.nulls(len(r), pa.string()),
                "reason": pa.array(reasons[rng.integers(0, len(reasons), len(r))]),
                "ts": pa.array(ts[r] + rng.integers(3 * DAY, 20 * DAY, len(r))),
            }
        ),
    )
    v = subset(0.3)
    write(
        "reviews",
        pa.table(
            {
                "order_id": order_ids.take(pa.array(v)),
                "shop_id": pa.nulls(len(v), pa.string()),
                "rating": pa.array(rng.choice([1, 2, 3, 4, 5], len(v), p=[0.04, 0.03, 0.08, 0.25, 0.6])),
                "text": pa.array(np.where(rng.random(len(v)) < 0.01, "夸大宣传", "不错")),
                "ts": pa.array(ts[v] + rng.integers(3 * DAY, 15 * DAY, len(v))),
            }
        ),
    )
    c = subset(0.01)
    write(
        "complaints",
        pa.table(
            {
                "order_id": order_ids.take(pa.array(c)),
                "shop_id": pa.nulls(len(c), pa.string()),
                "reason": pa.array(np.where(rng.random(len(c)) < 0.2, "dispute", "quality")),
                "text": pa.array(np.full(len(c), "投诉")),
                "ts": pa.array(ts[c] + rng.integers(5 * DAY, 30 * DAY, len(c))),
            }
        ),
    )
    shipped = ts + rng.integers(2 * HOUR, 40 * HOUR, n)
    delivered = shipped + rng.integers(20 * HOUR, 120 * HOUR, n)
    write(
        "shipments",
        pa.table(
            {
                "order_id": pa.concat_arrays([order_ids, order_ids]),
                "shop_id": pa.nulls(2 * n, pa.string()),
                "status": pa.array(np.repeat(["shipped", "delivered"], n)),
                "promised_ts": pa.nulls(2 * n, pa.int64()),
                "ts": pa.array(np.concatenate([shipped, delivered])),
            }
        ),
    )
    from clearlive.measure.tables import SCHEMAS

    write("cancellations", SCHEMAS["cancellations"].empty_table())
    s = subset(0.1)
    write(
        "service_chats",
        pa.table(
            {
                "user_id": pa.array(rng.integers(0, n // 3, len(s))).cast(pa.string()),
                "order_id": order_ids.take(pa.array(s)),
                "shop_id": pa.array(shop[s]).cast(pa.string()),
                "first_response_s": pa.array(rng.exponential(120, len(s))),
                "ts": pa.array(ts[s] + rng.integers(0, 2 * DAY, len(s))),
            }
        ),
    )
    skus = np.arange(shops * 10)
    write(
        "products",
        pa.table(
            {
                "sku": pa.array(skus).cast(pa.string()),
                "category": pa.array(np.array(["beauty", "food", "apparel", "home"])[skus % 4]),
                "room_id": pa.array((skus // 10) % 5000).cast(pa.string()),
                "session_id": pa.nulls(len(skus), pa.string()),
                "anchor_id": pa.array((skus // 10) % 3000).cast(pa.string()),
                "shop_id": pa.array(skus // 10).cast(pa.string()),
                "ts": pa.array(np.full(len(skus), END - 120 * DAY)),
            }
        ),
    )
    return paths


def run_duckdb(paths: dict[str, str]) -> dict[str, tuple[int, ...]]:
    from clearlive.measure import definitions as sql
    from clearlive.measure.config import ScoreConfig
    from clearlive.measure.engines import DuckDBEngine

    config = ScoreConfig.load()
    engine = DuckDBEngine()
    engine.use_parquet(paths, before_ms=END)
    w = sql.Window(END, WINDOW_DAYS, LAG_DAYS)
    promise = int(config.default_promise_hours * HOUR)
    engine.materialize("order_facts", sql.order_facts(config.reasons, config.misleading_review_terms, promise))
    present = {"reviews", "refunds", "complaints", "shipments", "service_chats"}
    grace = int(config.non_delivery_grace_days * DAY)
    shops = {r["shop_id"]: r for r in engine.rows(sql.shop_metrics(w, present, grace))}
    chats = {r["shop_id"]: r for r in engine.rows(sql.shop_chats(w))}
    categories = {r["shop_id"]: r["category"] for r in engine.rows(sql.shop_categories(w))}
    return {shop: _key(r, chats.get(shop, {}), categories.get(shop)) for shop, r in shops.items()}


def run_duckdb_full(paths: dict[str, str]) -> int:
    from clearlive.measure.config import ScoreConfig
    from clearlive.measure.engines import DuckDBEngine
    from clearlive.measure.score import score_all

    engine = DuckDBEngine()
    engine.use_parquet({**paths, **_empty_tables()}, before_ms=END)
    return len(score_all(engine, ScoreConfig.load(), END))


def _empty_tables() -> dict[str, str]:
    """Visits, sessions, findings and talk are not part of this bench: empty tables of the right shape."""
    from clearlive.measure.tables import SCHEMAS

    out = Path(tempfile.mkdtemp())
    paths = {}
    for name in ("visits", "sessions", "findings", "talk"):
        paths[name] = str(out / f"{name}.parquet")
        pq.write_table(SCHEMAS[name].empty_table(), paths[name])
    return paths


def run_pandas(paths: dict[str, str]) -> dict[str, tuple[int, ...]]:
    import pandas as pd

    from clearlive.measure.config import ScoreConfig

    config = ScoreConfig.load()
    reasons = config.reasons
    promise, grace = int(config.default_promise_hours * HOUR), int(config.non_delivery_grace_days * DAY)

    def read(name: str) -> pd.DataFrame:  # as the data stood at END: nothing dated later
        table = pd.read_parquet(paths[name])
        return table[table.ts < END]

    seller = {r.lower() for r in reasons["seller_fault"]}
    dispute = {r.lower() for r in reasons["dispute"]}
    start, lag_start, lag_end = END - WINDOW_DAYS * DAY, END - (WINDOW_DAYS + LAG_DAYS) * DAY, END - LAG_DAYS * DAY
    orders = read("orders")
    ship = read("shipments")
    ship["status"] = ship["status"].str.lower()
    shipped = ship[ship.status == "shipped"].groupby("order_id")["ts"].min().rename("shipped_ts")
    delivered = ship[ship.status == "delivered"].groupby("order_id")["ts"].min().rename("delivered_ts")
    reviews = read("reviews").sort_values(["order_id", "ts", "rating"])
    first = reviews.drop_duplicates("order_id")[["order_id", "rating"]].rename(columns={"rating": "first_rating"})
    refunds = read("refunds")
    refunds = refunds[refunds.reason.str.lower().isin(seller)]
    seller_fault = refunds.groupby("order_id")["ts"].min().rename("seller_fault_ts")
    complaints = read("complaints")
    complaints["disputed"] = complaints.reason.str.lower().isin(dispute).astype(int)
    comp = complaints.groupby("order_id")["disputed"].max()
    f = orders.merge(shipped, left_on="order_id", right_index=True, how="left")
    f = f.merge(delivered, left_on="order_id", right_index=True, how="left")
    f = f.merge(first, on="order_id", how="left")
    f = f.merge(seller_fault, left_on="order_id", right_index=True, how="left")
    f = f.merge(comp.rename("disputed"), left_on="order_id", right_index=True, how="left")
    f["complained"] = f.disputed.notna()
    f = f[f.shop_id.notna()]
    win = (f.ts >= start) & (f.ts < END)
    lag = (f.ts >= lag_start) & (f.ts < lag_end)
    signed = win & f.delivered_ts.notna()
    picked = win & (f.ts + DAY <= END)  # due for pickup
    promised = f.ts + promise
    due = win & (promised <= END)
    overdue = win & (promised + grace <= END)
    cols = pd.DataFrame(
        {
            "shop_id": f.shop_id,
            "n_orders": win,
            "negative_review_rate_n": signed,
            "negative_review_rate_x": signed & (f.first_rating <= 2),
            "quality_refund_rate_n": lag,
            "quality_refund_rate_x": lag & f.seller_fault_ts.notna(),
            "pickup_24h_rate_n": picked,
            "pickup_24h_rate_x": picked & (f.shipped_ts - f.ts <= 24 * HOUR),
            "on_time_delivery_rate_n": due,
            "on_time_delivery_rate_x": due & (f.delivered_ts <= promised),
            "non_delivery_rate_n": overdue,
            "non_delivery_rate_x": overdue & f.delivered_ts.isna(),
            "complaint_rate_n": lag,
            "complaint_rate_x": lag & f.complained,
            "dispute_rate_n": lag,
            "dispute_rate_x": lag & (f.disputed == 1),
        }
    )
    shops = cols.groupby("shop_id").sum()
    chats = read("service_chats")
    cw = chats[(chats.ts >= start) & (chats.ts < END) & chats.shop_id.notna()]
    chat_counts = pd.DataFrame(
        {
            "reply_3min_rate_n": cw.groupby("shop_id").size(),
            "reply_3min_rate_x": (cw.first_response_s <= 180).groupby(cw.shop_id).sum(),
        }
    )
    products = read("products").dropna(subset=["category"])
    sku_category = products.sort_values(["sku", "ts", "category"], ascending=[True, False, True]).drop_duplicates("sku")
    ow = orders[(orders.ts >= start) & (orders.ts < END) & orders.shop_id.notna()].merge(
        sku_category[["sku", "category"]], on="sku"
    )
    counted = ow.groupby(["shop_id", "category"]).size().rename("n").reset_index()
    counted = counted.sort_values(["shop_id", "n", "category"], ascending=[True, False, True]).drop_duplicates(
        "shop_id"
    )
    categories = dict(zip(counted.shop_id, counted.category, strict=True))
    out = {}
    for shop, r in shops.iterrows():
        c = chat_counts.loc[shop].to_dict() if shop in chat_counts.index else {}
        out[str(shop)] = _key(
            {k: int(v) for k, v in r.items()}, {k: int(v) for k, v in c.items()}, categories.get(shop)
        )
    return out


def _key(r: dict, chats: dict, category: str | None) -> tuple:  # type: ignore[type-arg]
    names = [
        "negative_review_rate",
        "quality_refund_rate",
        "pickup_24h_rate",
        "on_time_delivery_rate",
        "non_delivery_rate",
        "complaint_rate",
        "dispute_rate",
    ]
    counts = [int(r.get("n_orders") or 0)]
    for m in names:
        counts += [int(r.get(f"{m}_x") or 0), int(r.get(f"{m}_n") or 0)]
    counts += [int(chats.get("reply_3min_rate_x") or 0), int(chats.get("reply_3min_rate_n") or 0)]
    return (*counts, category)


def _child(name: str, paths: dict[str, str], queue: mp.Queue) -> None:  # type: ignore[type-arg]
    import pandas  # noqa: F401  # imports are not part of the measurement

    import clearlive.measure.score  # noqa: F401

    started = time.perf_counter()
    result = {"duckdb": run_duckdb, "pandas": run_pandas, "duckdb-full": run_duckdb_full}[name](paths)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((elapsed, peak, result))


def measure(name: str, paths: dict[str, str]) -> tuple[float, float, object]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    p = ctx.Process(target=_child, args=(name, paths, queue))
    p.start()
    out = queue.get()
    p.join()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=10_000_000)
    ap.add_argument("--shops", type=int, default=20_000)
    ap.add_argument("--keep", type=Path, help="write the Parquet tables here (default: a temporary folder)")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="clearlive-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    paths = generate(folder, args.orders, args.shops)
    print(
        f"generated {args.orders:,} orders for {args.shops:,} shops in {time.perf_counter() - started:.1f} s ({folder})"
    )
    results = {}
    for name in ("duckdb", "pandas", "duckdb-full"):
        elapsed, peak, result = measure(name, paths)
        results[name] = (elapsed, result)
        extra = f", {result} entities scored" if name == "duckdb-full" else f", {len(result)} shops"  # type: ignore[arg-type]
        print(f"{name:<12} {elapsed:8.1f} s   peak RSS {peak:8.0f} MiB{extra}")
    same = results["duckdb"][1] == results["pandas"][1]
    print(f"pandas / duckdb (same shop metrics): {results['pandas'][0] / results['duckdb'][0]:.1f}x")
    print(f"identical counts for every shop: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
