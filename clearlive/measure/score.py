"""Shop experience scores and host reputations (issues #5 and #22), from the counts of definitions.py.

The engine counts (DuckDB or Spark, same SQL); everything after the counts happens here, in one
piece of Python, so both engines give identical scores:

1. every metric's events and opportunities become a rate with an interval (stats.estimate: the
   observed share, and a Beta posterior's interval under one fixed, weak prior);
2. each rate becomes a score on its metric's fixed benchmark scale (stats.Scale; per category
   where the config has one), never by standing among the other entities;
3. metrics make dimensions and dimensions the composite, by the configured weights, skipping what
   could not be measured; an entity whose composite interval is wider than `max_interval_width`
   gets no score at all (null, not low);
4. ranks, where wanted, come from the scores afterwards, ties kept, with rank intervals.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import msgspec

from clearlive.measure import definitions as sql
from clearlive.measure.config import DimensionSpec, MetricSpec, ScoreConfig
from clearlive.measure.engines import Engine
from clearlive.measure.ledger import FindingRow, ledgers
from clearlive.measure.stats import Rate, competition_ranks, estimate_many, weighted
from clearlive.model.events import format_ts

FLAG_SEVERITIES = ["medium", "high", "critical"]
FINDINGS_SQL = "SELECT id, anchor_id, session_id, rule_id, severity, ts FROM findings ORDER BY ts, id"
LISTING_LOOKBACK_DAYS = 90


class DimensionScore(msgspec.Struct, omit_defaults=False):
    score: float | None
    interval: list[float] | None
    metrics: dict[str, float | None]  # raw rates (events / opportunities), as counted
    # extension: per metric {x, n, rate, rate_interval, score, interval, benchmark}, so every number can be checked
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
    benchmark: str | None = None  # the benchmark scales used: "default" or "category:<name>" (own scales)
    rank: dict[str, Any] | None = None  # {rank, of, interval: [best, worst], within}: from the scores, ties kept
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


# where each metric's events come from: a metric counts only when the data records its source
SOURCES = {
    "negative_review_rate": "reviews",
    "quality_refund_rate": "refunds",
    "pickup_24h_rate": "shipments",
    "on_time_delivery_rate": "shipments",
    "non_delivery_rate": "shipments",
    "seller_cancel_rate": "cancellations",
    "complaint_rate": "complaints",
    "dispute_rate": "complaints",
    "reply_3min_rate": "service_chats",
    "repeat_30d_rate": "orders",
    "repeat_90d_rate": "orders",
    "listed_shop_bad_rate": "orders",
    "misleading_rate": "orders",
    "flagged_session_rate": "sessions",
    "host_complaint_rate": "complaints",
    "question_answer_rate": "talk",
    "evasive_answer_rate": "talk",
    "returning_viewer_rate": "visits",
}
RECORDABLE = tuple(sorted(set(SOURCES.values())))


def default_as_of(newest_order_ms: int | None) -> int:
    """The end of the newest order's day (UTC), as platforms refresh daily."""
    return ((newest_order_ms or 0) // sql.DAY + 1) * sql.DAY


def score_all(
    engine: Engine,
    config: ScoreConfig,
    as_of_ms: int | None = None,
    live_counts: dict[str, dict[str, tuple[int, int]]] | None = None,
    decisions: dict[str, str] | None = None,
) -> list[EntityScore]:
    """Scores for every shop and host in the engine's tables, for the window ending at `as_of_ms`
    (default: the end of the newest order's day), each host with its credit ledger. The tables must
    hold nothing dated at or after `as_of_ms` (score_tables cuts them; tables.before).
    `decisions`: reviewers' verdicts on findings (id -> confirmed | dismissed) for the ledger."""
    if as_of_ms is None:
        as_of_ms = default_as_of(engine.rows("SELECT MAX(ts) AS ts FROM orders")[0]["ts"])
    w = sql.Window(as_of_ms, config.window_days, config.lag_days)
    # what the data source records: declared in the config, or (`records: auto`) every kind of
    # event the data holds any of; a metric whose events are not recorded at all is left out rather
    # than read as perfect (no complaint file is not zero complaints)
    present = (
        set(config.records)
        if config.records is not None
        else {t for t in RECORDABLE if engine.rows(f"SELECT COUNT(*) AS n FROM {t}")[0]["n"]}
    )
    recorded = {m for m, source in SOURCES.items() if source in present}
    engine.materialize(
        "order_facts",
        sql.order_facts(config.reasons, config.misleading_review_terms, int(config.default_promise_hours * sql.HOUR)),
    )
    window = {"start": format_ts(w.start), "end": format_ts(w.end)}
    shops = _shops(engine, w, present, int(config.non_delivery_grace_days * sql.DAY))
    hosts = _hosts(engine, config, w, live_counts or {})
    findings = [FindingRow(**r) for r in engine.rows(FINDINGS_SQL)]
    credit = ledgers(findings, decisions or {}, config.credit, as_of_ms)
    host_scores = [_entity_score("host", h, config.host, config, window, recorded) for h in hosts]
    for h in host_scores:
        h.credit = credit.get(h.entity_id) or {
            "balance": config.credit.start,
            "start": config.credit.start,
            "lowest": config.credit.start,
            "withdrawn": False,
            "entries": [],
        }
    shop_scores = [_entity_score("shop", e, config.shop, config, window, recorded) for e in shops]
    ranks(shop_scores, by_category=True)
    ranks(host_scores)
    quadrants(host_scores)
    return [*shop_scores, *host_scores]


def ranks(scores: list[EntityScore], by_category: bool = False) -> None:
    """Rank the scored entities by their scores (within their category for shops), ties sharing a
    rank, each with the range of ranks its interval allows. A rank is read off the scores: adding a
    shop can move another's rank, never its score."""
    groups: dict[str, list[EntityScore]] = defaultdict(list)
    for s in scores:
        if s.score is not None and s.interval is not None:
            groups[f"category:{s.category}" if by_category and s.category else "all"].append(s)
    for within, group in groups.items():
        ranked = competition_ranks(
            [(s.entity_id, s.score, s.interval[0], s.interval[1]) for s in group if s.score is not None and s.interval]
        )
        for s in group:
            r, best, worst = ranked[s.entity_id]
            s.rank = {"rank": r, "of": len(group), "interval": [best, worst], "within": within}


def quadrants(hosts: list[EntityScore]) -> None:
    """Place each scored host by traffic (GMV) and service (its score) against the medians of the
    scored hosts. 'high traffic, poor service' is where traffic has turned bad."""
    scored = [(h, h.traffic["gmv"], h.score) for h in hosts if h.score is not None and h.traffic]
    if len(scored) < 2:
        return
    mid_gmv, mid_service = _median(sorted(g for _, g, _ in scored)), _median(sorted(s for _, _, s in scored))
    for h, gmv, service in scored:
        traffic = "high traffic" if gmv >= mid_gmv else "low traffic"
        care = "good service" if service >= mid_service else "poor service"
        h.quadrant = f"{traffic}, {care}"


def _median(values: list[float]) -> float:
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def _shops(engine: Engine, w: sql.Window, present: set[str], grace_ms: int) -> list[_Entity]:
    categories = {r["shop_id"]: r["category"] for r in engine.rows(sql.shop_categories(w))}
    extra_counts: dict[str, dict[str, Any]] = defaultdict(dict)
    for query in (sql.shop_chats(w), sql.shop_repeat(w)):
        for r in engine.rows(query):
            extra_counts[r["shop_id"]].update(r)
    out = []
    for r in sorted(engine.rows(sql.shop_metrics(w, present, grace_ms)), key=lambda r: r["shop_id"]):
        counts = _counts(r)
        counts.update(_counts(extra_counts.get(r["shop_id"], {})))
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
    """Per host: the order-weighted bad-order rate of the shops it chose to sell from, as each shop
    stood (its rate and interval) when the host listed the product. Listings whose shop had no
    matured orders then are left out of the weighting."""
    known = sorted((r for r in rows if int(r["shop_n"] or 0)), key=lambda r: (r["anchor_id"], r["shop_id"], r["snap"]))
    rates = estimate_many([(int(r["shop_x"]), int(r["shop_n"])) for r in known], config.interval, config.prior)
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


def _with_unknown(
    combined: tuple[float, float, float] | None, known_weight: float, unknown_weight: float
) -> tuple[float, float, float] | None:
    """Widen a weighted (score, low, high) by parts that could be anything from 0 to 100: the score
    stays the mean of what was measured; the bounds take the unknown parts at 0 and at 100."""
    if combined is None or not unknown_weight:
        return combined
    total = known_weight + unknown_weight
    score, low, high = combined
    return score, low * known_weight / total, (high * known_weight + 100.0 * unknown_weight) / total


def _measured(e: _Entity, m: MetricSpec) -> bool:
    return m.name in e.given or e.counts.get(m.name, (0, 0))[1] >= max(m.min_count, 1)


def _entity_score(
    kind: str,
    e: _Entity,
    dims: tuple[DimensionSpec, ...],
    config: ScoreConfig,
    window: dict[str, str],
    recorded: set[str],
) -> EntityScore:
    measured = [m for d in dims for m in d.metrics if m.name not in e.given and _measured(e, m)]
    rates = dict(
        zip(
            [m.name for m in measured],
            estimate_many([e.counts[m.name] for m in measured], config.interval, config.prior),
            strict=True,
        )
    )
    rates.update(e.given)
    dimensions: dict[str, DimensionScore] = {}
    dim_parts: list[tuple[float, float, float, float]] = []  # known dimensions
    unknown_dims = 0.0  # the weight of dimensions with no data
    own_scales = False
    for d in dims:
        metric_parts = []
        unknown = 0.0  # weight of metrics the data records but this entity has too few opportunities for
        raw: dict[str, float | None] = {}
        detail: dict[str, dict[str, Any]] = {}
        for m in d.metrics:
            rate = rates.get(m.name)
            x, n = e.counts.get(m.name, (rate.x, rate.n) if rate else (0, 0))
            raw[m.name] = round(x / n, 4) if n else None
            if rate is None:
                if n:
                    detail[m.name] = {"x": x, "n": n}
                if m.name in recorded:
                    unknown += m.weight
                continue
            scale, bench = config.scale(m.name, e.group or None)
            own_scales = own_scales or bench != "default"
            score = scale.score(rate.point)
            low, high = scale.interval(rate)
            detail[m.name] = {
                "x": x,
                "n": n,
                "rate": round(rate.point, 4),
                "rate_interval": [round(rate.low, 4), round(rate.high, 4)],
                "score": round(score, 1),
                "interval": [round(low, 1), round(high, 1)],
                "benchmark": bench,
            }
            metric_parts.append((m.weight, score, low, high))
        combined = _with_unknown(weighted(metric_parts), sum(w for w, *_ in metric_parts), unknown)
        if combined is not None:
            dim_parts.append((d.weight, *combined))
        elif unknown:
            unknown_dims += d.weight
        dimensions[d.name] = DimensionScore(
            score=round(combined[0], 1) if combined else None,
            interval=[round(combined[1], 1), round(combined[2], 1)] if combined else None,
            metrics=raw,
            detail=detail,
        )
    known = dim_parts
    total = _with_unknown(weighted(known), sum(p[0] for p in known), unknown_dims)
    # the minimum sample: a composite whose interval spans more than max_interval_width points says
    # too little to act on, so it is no score (and so are its dimensions), whatever the order count
    if total is None or total[2] - total[1] > config.max_interval_width:
        total = None
        for dim in dimensions.values():
            dim.score, dim.interval = None, None
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
        benchmark=f"category:{e.group}" if own_scales else "default",
        traffic=traffic or None,
        room_service=e.extra.get("room_service"),
    )
