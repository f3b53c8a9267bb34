"""Service scores for shops and hosts (issues #5, #22): tables in, CONTRACT section 4 records out."""

from __future__ import annotations

from collections.abc import Iterable

from clearlive.measure.config import ScoreConfig
from clearlive.measure.engines import DuckDBEngine, Engine
from clearlive.measure.live_service import host_counts
from clearlive.measure.score import EntityScore, default_as_of, score_all
from clearlive.measure.tables import CommerceTables, before
from clearlive.model.events import EventBase
from clearlive.model.findings import Finding

__all__ = ["CommerceTables", "EntityScore", "ScoreConfig", "score_events", "score_tables"]


def score_tables(
    tables: CommerceTables,
    config: ScoreConfig,
    engine: Engine | None = None,
    as_of_ms: int | None = None,
    decisions: dict[str, str] | None = None,
) -> list[EntityScore]:
    """Scores as of `as_of_ms` (default: the end of the newest order's day). Everything dated at or
    after it is cut before anything is counted, so later reviews, refunds or complaints of earlier
    orders cannot reach back into the score."""
    engine = engine or DuckDBEngine()
    arrow = tables.tables()
    if as_of_ms is None:
        newest = arrow["orders"].column("ts").to_pylist()
        as_of_ms = default_as_of(max(newest) if newest else None)
    arrow = before(arrow, as_of_ms)
    engine.load(arrow)
    talk = arrow["talk"].select(["anchor_id", "session_id", "kind", "text", "ts"]).to_pylist()
    live = host_counts((r["anchor_id"], r["session_id"], r["kind"], r["text"], r["ts"]) for r in talk)
    return score_all(engine, config, as_of_ms, live, decisions)


def score_events(
    events: Iterable[EventBase],
    config: ScoreConfig | None = None,
    findings: Iterable[Finding] = (),
    engine: Engine | None = None,
    as_of_ms: int | None = None,
    decisions: dict[str, str] | None = None,
) -> list[EntityScore]:
    tables = CommerceTables().add_all(events).add_findings(findings)
    return score_tables(tables, config or ScoreConfig.load(), engine, as_of_ms, decisions)
