"""The scoring configuration (score.yaml): windows, floors, reason classes, dimensions and weights."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clearlive.errors import ClearLiveError
from clearlive.scoring.ledger import CreditRules
from clearlive.yamlsafe import load_yaml

DEFAULT_CONFIG = Path(__file__).with_name("score.yaml")
WINDOWS = (30, 60, 90)


@dataclass(frozen=True)
class MetricSpec:
    name: str
    lower_is_better: bool
    weight: float
    floor: int | None = None  # at most this many bad events: never scored below the median (eBay-style)
    min_count: int = 1  # fewer opportunities: the metric is not scored
    lagged: bool = False


@dataclass(frozen=True)
class DimensionSpec:
    name: str
    weight: float
    metrics: tuple[MetricSpec, ...]


@dataclass(frozen=True)
class ScoreConfig:
    window_days: int
    lag_days: int
    min_orders: int
    min_category_entities: int
    prior_strength: float
    interval: float
    reasons: dict[str, list[str]]
    misleading_review_terms: list[str]
    shop: tuple[DimensionSpec, ...]
    host: tuple[DimensionSpec, ...]
    credit: CreditRules

    @classmethod
    def load(cls, path: Path | None = None, window_days: int | None = None) -> ScoreConfig:
        path = path or DEFAULT_CONFIG
        try:
            raw: dict[str, Any] = load_yaml(path.read_text(encoding="utf-8"))
            cfg = cls(
                window_days=int(window_days or raw["window_days"]),
                lag_days=int(raw["lag_days"]),
                min_orders=int(raw["min_orders"]),
                min_category_entities=int(raw["min_category_entities"]),
                prior_strength=float(raw["prior_strength"]),
                interval=float(raw["interval"]),
                reasons={k: [str(v) for v in vs] for k, vs in raw["reasons"].items()},
                misleading_review_terms=[str(t) for t in raw["misleading_review_terms"]],
                shop=_dimensions(raw["shop"]),
                host=_dimensions(raw["host"]),
                credit=CreditRules.from_config(raw["credit"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ClearLiveError(f"{path}: bad scoring config: {exc!r}") from exc
        if cfg.window_days not in WINDOWS:
            raise ClearLiveError(f"{path}: window_days must be one of {WINDOWS}, not {cfg.window_days}")
        return cfg


def _dimensions(raw: dict[str, Any]) -> tuple[DimensionSpec, ...]:
    return tuple(
        DimensionSpec(
            name,
            float(d["weight"]),
            tuple(
                MetricSpec(
                    m,
                    bool(spec["lower_is_better"]),
                    float(spec.get("weight", 1)),
                    spec.get("floor"),
                    int(spec.get("min_count", 1)),
                    bool(spec.get("lagged", False)),
                )
                for m, spec in d["metrics"].items()
            ),
        )
        for name, d in raw.items()
    )
