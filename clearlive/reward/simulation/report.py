"""An offline HTML page comparing allocation policies over the same simulated market (same seed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from clearlive.report.charts import render_svg
from clearlive.reward.simulation.market import summary

_env = Environment(loader=PackageLoader("clearlive.report", "templates"), autoescape=select_autoescape())
POLICY_COLOURS = {"traffic": "#e15759", "service": "#4e79a7", "blend": "#59a14f"}
CHARTS = [
    ("consumer_surplus", "consumer surplus per round"),
    ("low_quality_traffic_share", "share of traffic to low-quality hosts"),
    ("low_quality_gmv_share", "share of GMV from low-quality hosts"),
    ("refund_rate", "refund rate"),
    ("repeat_rate", "repeat purchases (share of orders)"),
    ("active_buyers", "buyers still on the platform"),
    ("mean_quality", "product quality of the traffic"),
    ("mean_hype", "hype of the traffic"),
    ("host_churn", "hosts leaving per round"),
]


def policy_chart(runs: dict[str, dict[str, Any]], metric: str, title: str, width: int = 380) -> str:
    rows = [
        {"round": r["round"], "value": r[metric], "policy": policy}
        for policy, run in runs.items()
        for r in run["rounds"]
    ]
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title,
        "width": width,
        "height": 180,
        "data": {"values": rows},
        "mark": {"type": "line", "strokeWidth": 1.6},
        "encoding": {
            "x": {"field": "round", "type": "quantitative"},
            "y": {"field": "value", "type": "quantitative", "title": None},
            "color": {
                "field": "policy",
                "type": "nominal",
                "scale": {"domain": list(POLICY_COLOURS), "range": list(POLICY_COLOURS.values())},
            },
        },
        "config": {"font": "sans-serif", "view": {"stroke": None}},
    }
    return render_svg(spec)


def write_simulation_report(runs: dict[str, dict[str, Any]], path: Path) -> Path:
    first = next(iter(runs.values()))
    last = max(1, len(first["rounds"]) // 5)
    summaries = {policy: summary(run, last) for policy, run in runs.items()}
    charts = [Markup(policy_chart(runs, metric, title)) for metric, title in CHARTS]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        _env.get_template("simulation.html").render(
            runs=runs,
            summaries=summaries,
            charts=charts,
            seed=first["seed"],
            params=first["params"],
            rounds=len(first["rounds"]),
            last=last,
        ),
        encoding="utf-8",
    )
    return path
