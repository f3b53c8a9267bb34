"""Shop experience scores and host reputations (issue #5), from the counts of definitions.py.

The engine counts (DuckDB or Spark, same SQL); everything after the counts happens here, in one
piece of Python, so both engines give identical scores:

1. every metric's events and opportunities become a shrunk rate with an interval (stats.shrunk),
   the prior being the pooled rate of the entity's benchmark (its category for shops);
2. each rate becomes a score by standing within the benchmark, among entities with enough data;
3. metrics make dimensions and dimensions the composite, by the configured weights, skipping what
   could not be measured; an entity below `min_orders` gets no score at all (null, not low).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from clearlive.model.events import format_ts
from clearlive.scoring import definitions as sql
from clearlive.scoring.config import DimensionSpec, MetricSpec, ScoreConfig
from clearlive.scoring.engines import Engine
from clearlive.scoring.ledger import FindingRow, ledgers
from clearlive.scoring.stats import Rate, Standing, pooled, shrunk_many, weighted

FLAG_SEVERITIES = ["medium", "high", "critical"]
FINDINGS_SQL = "SELECT id, anchor_id, session_id, rule_id, severity, ts FROM findings ORDER BY ts, id"
LISTING_LOOKBACK_DAYS = 90


class DimensionScore(msgspec.Struct, omit_defaults=False):
    score: float | None
    interval: list[float] | None
    metrics: dict[str, float | None]  # raw rates (events / opportunities), as counted
    # extension: per metric {x, n, shrunk, interval, score}, so every number can be checked
    detail: dict[str, dict[str, Any]] = msgspec.field(default_factory=dict)


class EntityScore(msgspec.Struct, omit_defaults=False):
    """One line of `clearlive score --format jsonl` (CONTRACT section 4, plus extensions)."""

    entity_type: str
    entity_id: str
    score: float | None
    interval: list[float] | None
    n_orders: int
    dimensions: dict[str, DimensionScore]
    window: dict[str, str]
    # extensions
    category: str | None = None
    benchmark: str | None = None  # what the ranks are within: "category:<name>" or "all"
    traffic: dict[str, float] | None = None  # gmv, sessions, peak viewers (hosts)
    credit: dict[str, Any] | None = None  # the credit ledger's balance (hosts), see ledger.py
    room_service: dict[str, int] | None = None  # hosts: questions asked in chat, answered, evasive, ...
    quadrant: str | None = None  # hosts: traffic against service, see quadrants()


@dataclass
class _Entity:
    id: str
    n_orders: int
    group: str
    counts: dict[str, tuple[int, int]]  # metric -> (x, n), shrunk here
    extra: dict[str, Any]
    given: dict[str, Rate] = field(default_factory=dict)  # metrics already shrunk where they were made


def score_all(
    engine: Engine,
    config: ScoreConfig,
    as_of_ms: int | None = None,
    live_counts: dict[str, dict[str, tuple[int, int]]] | None = None,
    decisions: dict[str, str] | None = None,
) -> list[EntityScore]:
    """Scores for every shop and host in the engine's tables, for the window ending at `as_of_ms`
    (default: the end of the newest order's day), each host with its credit ledger.
    `decisions`: reviewers' verdicts on findings (id -> confirmed | dismissed) for the ledger."""
    if as_of_ms is None:
        newest = engine.rows("SELECT MAX(ts) AS ts FROM orders")[0]["ts"] or 0
        as_of_ms = (
            newest // sql.DAY + 1
        ) * sql.DAY  # the end of the newest order's day (UTC), as platforms refresh daily
    w = sql.Window(as_of_ms, config.window_days, config.lag_days)
    has_shipments = bool(engine.rows("SELECT COUNT(*) AS n FROM shipments")[0]["n"])
    engine.materialize("order_facts", sql.order_facts(config.reasons, config.misleading_review_terms))
    window = {"start": format_ts(w.start), "end": format_ts(w.end)}
    shops = _shops(engine, w, has_shipments)
    hosts = _hosts(engine, config, w, live_counts or {})
    findings = [FindingRow(**r) for r in engine.rows(FINDINGS_SQL)]
    credit = ledgers(findings, decisions or {}, config.credit, as_of_ms)
    host_scores = list(_score_entities("host", hosts, config.host, config, window))
    for h in host_scores:
        h.credit = credit.get(h.entity_id) or {
            "balance": config.credit.start,
            "start": config.credit.start,
            "lowest": config.credit.start,
            "withdrawn": False,
            "entries": [],
        }
    quadrants(host_scores)
    return [*_score_entities("shop", shops, config.shop, config, window), *host_scores]


def quadrants(hosts: list[EntityScore]) -> None:
    """Place each scored host by traffic (GMV) and service (its score) against the medians of the
    scored hosts. 'high traffic, poor service' is where traffic has turned bad."""
    scored = [h for h in hosts if h.score is not None and h.traffic]
    if len(scored) < 2:
        return
    gmv = sorted(h.traffic["gmv"] for h in scored)  # type: ignore[index]
    service = sorted(h.score for h in scored)  # type: ignore[type-var]
    mid_gmv, mid_service = _median(gmv), _median(service)  # type: ignore[arg-type]
    for h in scored:
        traffic = "high traffic" if h.traffic["gmv"] >= mid_gmv else "low traffic"  # type: ignore[index]
        care = "good service" if h.score >= mid_service else "poor service"  # type: ignore[operator]
        h.quadrant = f"{traffic}, {care}"


def _median(values: list[float]) -> float:
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def _shops(engine: Engine, w: sql.Window, has_shipments: bool) -> list[_Entity]:
    categories = {r["shop_id"]: r["category"] for r in engine.rows(sql.shop_categories(w))}
    chats = {r["shop_id"]: r for r in engine.rows(sql.shop_chats(w))}
    out = []
    for r in sorted(engine.rows(sql.shop_metrics(w, has_shipments)), key=lambda r: r["shop_id"]):
        counts = _counts(r)
        if r["shop_id"] in chats:
            counts.update(_counts(chats[r["shop_id"]]))
        n_delivered = int(r["n_delivered"] or 0)
        extra = {
            "gmv": round(float(r["gmv"] or 0), 2),
            "mean_delivery_hours": round(int(r["delivery_ms"] or 0) / n_delivered / 3_600_000, 1)
            if n_delivered
            else None,
        }
        out.append(_Entity(r["shop_id"], int(r["n_orders"] or 0), categories.get(r["shop_id"]) or "", counts, extra))
    return out


def _hosts(
    engine: Engine, config: ScoreConfig, w: sql.Window, live_counts: dict[str, dict[str, tuple[int, int]]]
) -> list[_Entity]:
    by_host: dict[str, dict[str, Any]] = defaultdict(dict)
    for query in (sql.host_repeat(w), sql.host_returning_viewers(w), sql.host_sessions(w, FLAG_SEVERITIES)):
        for r in engine.rows(query):
            by_host[r["anchor_id"]].update(r)
    listings = _listing_quality(engine.rows(sql.host_listings(w, LISTING_LOOKBACK_DAYS, config.lag_days)), config)
    out = []
    for r in sorted(engine.rows(sql.host_metrics(w)), key=lambda r: r["anchor_id"]):
        host = r["anchor_id"]
        merged = {**by_host.get(host, {}), **r}
        counts = _counts(merged)
        counts.update(live_counts.get(host, {}))
        extra: dict[str, Any] = {
            "gmv": round(float(r["gmv"] or 0), 2),
            "sessions": int(merged.get("n_sessions") or 0),
            "peak_viewers": int(merged.get("peak_viewers") or 0),
            "buyers": int(r["n_buyers"] or 0),
        }
        given = {"listed_shop_bad_rate": listings[host]} if host in listings else {}
        if host in live_counts:
            live = live_counts[host]
            answered, asked = live["question_answer_rate"]
            evasive, replied = live["evasive_answer_rate"]
            statements, sessions = live["forthright_statements"]
            extra["room_service"] = {
                "questions": asked,
                "answered": answered,
                "evasive": evasive,
                "unanswered": asked - replied,
                "forthright_statements": statements,
                "sessions_with_chat": sessions,
            }
        out.append(_Entity(host, int(r["n_orders"] or 0), "", counts, extra, given))
    return out


def _listing_quality(rows: list[dict[str, Any]], config: ScoreConfig) -> dict[str, Rate]:
    """Per host: the order-weighted standing of the shops it chose to sell from, as each shop stood
    (its shrunk bad-order rate) when the host listed the product. Listings whose shop had no
    matured orders then are left out of the weighting."""
    prior = pooled([(int(r["shop_x"]), int(r["shop_n"])) for r in rows]) or 0.0
    known = sorted((r for r in rows if int(r["shop_n"] or 0)), key=lambda r: (r["anchor_id"], r["shop_id"], r["snap"]))
    rates = shrunk_many(
        [(int(r["shop_x"]), int(r["shop_n"])) for r in known],
        [prior] * len(known),
        config.prior_strength,
        config.interval,
    )
    parts: dict[str, list[tuple[int, Rate]]] = defaultdict(list)
    for r, rate in zip(known, rates, strict=True):
        parts[r["anchor_id"]].append((int(r["host_orders"]), rate))
    out = {}
    for host, items in parts.items():
        total = sum(k for k, _ in items)
        mean = sum(k * r.point for k, r in items) / total
        low = sum(k * r.low for k, r in items) / total
        high = sum(k * r.high for k, r in items) / total
        # as counts: the host's orders with a known listing (n) and their weighted share of bad shops (x)
        out[host] = Rate(round(mean * total), total, mean, low, high)
    return out


def _counts(row: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {
        key[:-2]: (int(row.get(key[:-2] + "_x") or 0), int(row[key] or 0))
        for key in row
        if key.endswith("_n") and key != "n_orders"
    }


def _score_entities(
    kind: str, entities: list[_Entity], dims: tuple[DimensionSpec, ...], config: ScoreConfig, window: dict[str, str]
) -> Iterable[EntityScore]:
    scored = [e for e in entities if e.n_orders >= config.min_orders]
    by_group: dict[str, list[_Entity]] = defaultdict(list)
    for e in scored:
        by_group[e.group].append(e)
    benchmark_of = {
        e.id: (f"category:{e.group}" if e.group and len(by_group[e.group]) >= config.min_category_entities else "all")
        for e in entities
    }
    members = {"all": scored, **{f"category:{g}": es for g, es in by_group.items()}}
    rates = _rates(entities, dims, config, members, benchmark_of)
    standings = {
        (bench, m.name): Standing(
            [rates[(e.id, m.name)].point for e in group if (e.id, m.name) in rates and _measured(e, m)],
            m.lower_is_better,
        )
        for bench, group in members.items()
        for d in dims
        for m in d.metrics
    }
    for e in entities:
        yield _entity_score(kind, e, dims, config, window, rates, standings, benchmark_of[e.id])


def _measured(e: _Entity, m: MetricSpec) -> bool:
    return m.name in e.given or e.counts.get(m.name, (0, 0))[1] >= m.min_count


def _rates(
    entities: list[_Entity],
    dims: tuple[DimensionSpec, ...],
    config: ScoreConfig,
    members: dict[str, list[_Entity]],
    benchmark_of: dict[str, str],
) -> dict[tuple[str, str], Rate]:
    out: dict[tuple[str, str], Rate] = {}
    for d in dims:
        for m in d.metrics:
            priors = {b: pooled([e.counts[m.name] for e in es if m.name in e.counts]) for b, es in members.items()}
            todo: list[tuple[_Entity, float]] = []
            for e in entities:
                if m.name in e.given:
                    out[(e.id, m.name)] = e.given[m.name]
                    continue
                if m.name not in e.counts:
                    continue
                prior = priors.get(benchmark_of[e.id])
                if prior is None:
                    prior = priors.get("all")
                if prior is not None:
                    todo.append((e, prior))
            rates = shrunk_many(
                [e.counts[m.name] for e, _ in todo], [p for _, p in todo], config.prior_strength, config.interval
            )
            for (e, _), rate in zip(todo, rates, strict=True):
                out[(e.id, m.name)] = rate
    return out


def _entity_score(
    kind: str,
    e: _Entity,
    dims: tuple[DimensionSpec, ...],
    config: ScoreConfig,
    window: dict[str, str],
    rates: dict[tuple[str, str], Rate],
    standings: dict[tuple[str, str], Standing],
    benchmark: str,
) -> EntityScore:
    enough = e.n_orders >= config.min_orders
    dimensions: dict[str, DimensionScore] = {}
    dim_parts = []
    for d in dims:
        metric_parts = []
        raw: dict[str, float | None] = {}
        detail: dict[str, dict[str, Any]] = {}
        for m in d.metrics:
            rate = rates.get((e.id, m.name))
            x, n = e.counts.get(m.name, (rate.x, rate.n) if rate else (0, 0))
            raw[m.name] = round(x / n, 4) if n else None
            if rate is None:
                continue
            item: dict[str, Any] = {"x": x, "n": n, "shrunk": round(rate.point, 4)}
            item["rate_interval"] = [round(rate.low, 4), round(rate.high, 4)]
            if enough and _measured(e, m):
                standing = standings[(benchmark, m.name)]
                score = standing.score(rate.point)
                low, high = standing.interval(rate)
                if m.floor is not None and x <= m.floor:  # too few bad events to rank below the median
                    score, low, high = max(score, 50.0), max(low, 50.0), max(high, 50.0)
                low, high = min(low, score), max(high, score)  # ties can put both bounds on one side
                item["score"], item["interval"] = round(score, 1), [round(low, 1), round(high, 1)]
                metric_parts.append((m.weight, score, low, high))
            detail[m.name] = item
        combined = weighted(metric_parts)
        if combined is not None:
            dim_parts.append((d.weight, *combined))
        dimensions[d.name] = DimensionScore(
            score=round(combined[0], 1) if combined else None,
            interval=[round(combined[1], 1), round(combined[2], 1)] if combined else None,
            metrics=raw,
            detail=detail,
        )
    total = weighted(dim_parts) if enough else None
    traffic = {k: v for k, v in e.extra.items() if k in ("gmv", "sessions", "peak_viewers", "buyers")}
    if kind == "shop" and e.extra.get("mean_delivery_hours") is not None:
        traffic["mean_delivery_hours"] = e.extra["mean_delivery_hours"]
    return EntityScore(
        entity_type=kind,
        entity_id=e.id,
        score=round(total[0], 1) if total else None,
        interval=[round(total[1], 1), round(total[2], 1)] if total else None,
        n_orders=e.n_orders,
        dimensions=dimensions,
        window=window,
        category=e.group or None,
        benchmark=benchmark,
        traffic=traffic or None,
        room_service=e.extra.get("room_service"),
    )
