"""Scores as a Parquet table: one row per shop or host, a column per dimension, the full record as JSON."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from clearlive.measure.score import EntityScore


def scores_arrow(scores: list[EntityScore]) -> pa.Table:
    dims: list[str] = []
    for s in scores:
        dims.extend(d for d in s.dimensions if d not in dims)
    encode = msgspec.json.Encoder().encode
    columns: dict[str, list[object]] = {
        "entity_type": [s.entity_type for s in scores],
        "entity_id": [s.entity_id for s in scores],
        "score": [s.score for s in scores],
        "score_low": [s.interval[0] if s.interval else None for s in scores],
        "score_high": [s.interval[1] if s.interval else None for s in scores],
        "n_orders": [s.n_orders for s in scores],
        "category": [s.category for s in scores],
        "window_start": [s.window["start"] for s in scores],
        "window_end": [s.window["end"] for s in scores],
        **{f"dim_{d}": [s.dimensions[d].score if d in s.dimensions else None for s in scores] for d in dims},
        "credit_balance": [s.credit["balance"] if s.credit else None for s in scores],
        "record": [encode(s).decode() for s in scores],
    }
    types = {"score": pa.float64(), "score_low": pa.float64(), "score_high": pa.float64(), "credit_balance": pa.int64()}
    types.update({f"dim_{d}": pa.float64() for d in dims})
    return pa.table({k: pa.array(v, type=types.get(k)) for k, v in columns.items()})


def write_parquet(scores: list[EntityScore], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(scores_arrow(scores), path)
