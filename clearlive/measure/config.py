"""The scoring configuration (score.yaml): windows, time rules, the minimum-sample rule, reason
classes, dimensions, weights and the benchmark scales."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clearlive.errors import ClearLiveError
from clearlive.measure.ledger import CreditRules
from clearlive.measure.stats import Scale
from clearlive.yamlsafe import load_yaml

DEFAULT_CONFIG = Path(__file__).with_name("score.yaml")
MIN_WINDOW, MAX_WINDOW = 7, 365


@dataclass(frozen=True)
class MetricSpec:
    name: str
    weight: float
    min_count: int = 1  # fewer opportunities: the metric is not measured


@dataclass(frozen=True)
class DimensionSpec:
    name: str
    weight: float
    metrics: tuple[MetricSpec, ...]


@dataclass(frozen=True)
class ScoreConfig:
    window_days: int
    lag_days: int
    interval: float
    prior: tuple[float, float]
    max_interval_width: float
    default_promise_hours: float
    non_delivery_grace_days: float
    reasons: dict[str, list[str]]
    misleading_review_terms: list[str]
    shop: tuple[DimensionSpec, ...]
    host: tuple[DimensionSpec, ...]
    credit: CreditRules
    records: tuple[str, ...] | None = None  # the kinds of events the data source records (None: auto)
    scales: dict[str, Scale] = field(default_factory=dict)  # metric -> default benchmark
    category_scales: dict[str, dict[str, Scale]] = field(default_factory=dict)  # category -> metric -> benchmark

    @classmethod
    def load(cls, path: Path | None = None, window_days: int | None = None) -> ScoreConfig:
        path = path or DEFAULT_CONFIG
        try:
            raw: dict[str, Any] = load_yaml(path.read_text(encoding="utf-8"))
            bench = raw["benchmarks"]
            cfg = cls(
                window_days=int(window_days or raw["window_days"]),
                lag_days=int(raw["lag_days"]),
                interval=float(raw["interval"]),
                prior=(float(raw["prior"][0]), float(raw["prior"][1])),
                max_interval_width=float(raw["max_interval_width"]),
                default_promise_hours=float(raw["default_promise_hours"]),
                non_delivery_grace_days=float(raw["non_delivery_grace_days"]),
                reasons={k: [str(v) for v in vs] for k, vs in raw["reasons"].items()},
                misleading_review_terms=[str(t) for t in raw["misleading_review_terms"]],
                shop=_dimensions(raw["shop"]),
                host=_dimensions(raw["host"]),
                credit=CreditRules.from_config(raw["credit"]),
                records=None if raw.get("records", "auto") == "auto" else tuple(str(t) for t in raw["records"]),
                scales=_scales(bench["default"]),
                category_scales={str(c): _scales(m) for c, m in (bench.get("categories") or {}).items()},
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ClearLiveError(f"{path}: bad scoring config: {exc!r}") from exc
        if not MIN_WINDOW <= cfg.window_days <= MAX_WINDOW:
            raise ClearLiveError(
                f"{path}: window_days must be from {MIN_WINDOW} to {MAX_WINDOW} days, not {cfg.window_days}"
            )
        missing = sorted(m.name for d in (*cfg.shop, *cfg.host) for m in d.metrics if m.name not in cfg.scales)
        if missing:
            raise ClearLiveError(f"{path}: no default benchmark for metric(s) {', '.join(missing)}")
        return cfg

    def scale(self, metric: str, category: str | None) -> tuple[Scale, str]:
        """The benchmark a metric is scored against, and its name: the category's own where the
        config has one, else the default."""
        own = self.category_scales.get(category or "", {})
        if metric in own:
            return own[metric], f"category:{category}"
        return self.scales[metric], "default"


def _scales(raw: dict[str, Any]) -> dict[str, Scale]:
    return {str(m): Scale(float(s["excellent"]), float(s["standard"]), float(s["poor"])) for m, s in raw.items()}


def _dimensions(raw: dict[str, Any]) -> tuple[DimensionSpec, ...]:
    return tuple(
        DimensionSpec(
            name,
            float(d["weight"]),
            tuple(
                MetricSpec(m, float(spec.get("weight", 1)), int(spec.get("min_count", 1)))
                for m, spec in d["metrics"].items()
            ),
        )
        for name, d in raw.items()
    )
