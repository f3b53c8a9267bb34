"""Vega-Lite charts rendered to SVG offline with vl-convert, so report pages need no network."""

from __future__ import annotations

import re
from typing import Any

import vl_convert as vlc

# Each meets WCAG AA (at least 6.5:1) against white, as text on white and as white text on it.
SEVERITY_COLOURS = {"info": "#5c5c66", "low": "#2b5f8f", "medium": "#8a4b00", "high": "#b3261e", "critical": "#6a1b7a"}


def render_svg(spec: dict[str, Any]) -> str:
    svg = vlc.vegalite_to_svg(spec)
    # Drop the XML prolog so the SVG can be inlined into HTML.
    return svg[svg.find("<svg") :]


def counts_svg(rows: list[dict[str, Any]], width: int = 420, titles: dict[str, str] | None = None) -> str:
    """Findings per category, stacked by severity; categories and severities named by `titles`
    ("category:ID", "severity:ID", as clearlive.serve.i18n.chart_titles gives them)."""
    if not rows:
        return ""
    t = {"layer": "findings", "severity": "severity", **(titles or {})}
    categories = {r["category"]: t.get(f"category:{r['category']}", r["category"]) for r in rows}
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": width,
        "height": {"step": 22},
        # room on the left: the renderer measures labels in its own font, narrower than a browser's
        "padding": {"left": 40, "top": 5, "right": 5, "bottom": 5},
        "data": {"values": rows},
        "mark": "bar",
        "encoding": {
            "y": {
                "field": "category",
                "type": "nominal",
                "sort": "-x",
                "title": None,
                "axis": {"labelLimit": 0, "labelExpr": _label_expr(categories)},
            },
            "x": {"field": "n", "type": "quantitative", "title": t["layer"]},
            "color": {
                "field": "severity",
                "type": "nominal",
                "title": t["severity"],
                "scale": {"domain": list(SEVERITY_COLOURS), "range": list(SEVERITY_COLOURS.values())},
                "legend": {"labelExpr": _label_expr({k: t.get(f"severity:{k}", k) for k in SEVERITY_COLOURS})},
            },
        },
        "config": {"font": "sans-serif", "view": {"stroke": None}},
    }
    return render_svg(spec)


def facts_svg(facts: dict[str, Any], width: int = 300) -> str:
    """A small bar chart of a behavioural finding's numbers (before/after, orders/buyers, ...)."""
    rows = [
        {"measure": k.replace("_", " "), "value": v}
        for k, v in facts.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    ]
    if len(rows) < 2:
        return ""
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": width,
        "height": {"step": 16},
        "data": {"values": rows},
        "mark": {"type": "bar", "color": "#e15759"},
        "encoding": {
            "y": {"field": "measure", "type": "nominal", "sort": None, "title": None},
            "x": {"field": "value", "type": "quantitative", "title": None, "scale": {"type": "symlog"}},
            "tooltip": [{"field": "measure"}, {"field": "value"}],
        },
        "config": {"font": "sans-serif", "view": {"stroke": None}, "axis": {"labelFontSize": 10}},
    }
    return render_svg(spec)


def quadrant_svg(hosts: list[dict[str, Any]], width: int = 560) -> str:
    """Traffic (GMV, log scale) against the service score, one point per scored host, with the
    medians that split the four quadrants; the lower right is high traffic with poor service."""
    if not hosts:
        return ""
    gmv = sorted(h["gmv"] for h in hosts)
    score = sorted(h["score"] for h in hosts)
    mid = {"gmv": gmv[len(gmv) // 2], "score": score[len(score) // 2]}
    x = {"field": "gmv", "type": "quantitative", "title": "traffic: GMV in the window", "scale": {"type": "log"}}
    y = {"field": "score", "type": "quantitative", "title": "service score", "scale": {"domain": [0, 100]}}
    colours = {
        "high traffic, poor service": "#e15759",
        "high traffic, good service": "#59a14f",
        "low traffic, good service": "#4e79a7",
        "low traffic, poor service": "#8c8c8c",
    }
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": width,
        "height": 320,
        "layer": [
            {
                "data": {"values": hosts},
                "mark": {"type": "point", "filled": True, "size": 90},
                "encoding": {
                    "x": x,
                    "y": y,
                    "color": {
                        "field": "quadrant",
                        "type": "nominal",
                        "scale": {"domain": list(colours), "range": list(colours.values())},
                    },
                },
            },
            {
                "data": {"values": hosts},
                "mark": {"type": "text", "dy": -10, "fontSize": 11},
                "encoding": {"x": x, "y": y, "text": {"field": "host"}},
            },
            {"data": {"values": [mid]}, "mark": {"type": "rule", "strokeDash": [4, 4]}, "encoding": {"x": x}},
            {"data": {"values": [mid]}, "mark": {"type": "rule", "strokeDash": [4, 4]}, "encoding": {"y": y}},
        ],
        "config": {"font": "sans-serif", "view": {"stroke": None}},
    }
    return render_svg(spec)


def dimensions_svg(rows: list[dict[str, Any]], width: int = 420) -> str:
    """Dimension scores (0-100) with their intervals: a bar per dimension and a line for its interval."""
    rows = [r for r in rows if r["score"] is not None]
    if not rows:
        return ""
    y = {"field": "dimension", "type": "nominal", "sort": None, "title": None}
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": width,
        "height": {"step": 26},
        "data": {"values": rows},
        "layer": [
            {
                "mark": {"type": "bar", "color": "#a0cbe8"},
                "encoding": {"y": y, "x": {"field": "score", "type": "quantitative", "scale": {"domain": [0, 100]}}},
            },
            {
                "mark": {"type": "rule", "color": "#1f3b57", "strokeWidth": 2},
                "encoding": {"y": y, "x": {"field": "low", "type": "quantitative"}, "x2": {"field": "high"}},
            },
        ],
        "config": {"font": "sans-serif", "view": {"stroke": None}},
    }
    return render_svg(spec)


# The curve chart's layers: what a finding rests on, so a room's hundreds of findings read as a few
# labelled rows of marks rather than a barcode of rules.
LAYERS = {"speech": "#1f5f99", "chat": "#a33d00", "listing": "#5b3f99", "behaviour": "#b3261e"}
_VEGA_BASE = 'xlink:href="https://vega.github.io/vega-datasets/'  # vega prefixes relative links with its data URL


def layer_of(finding: dict[str, Any]) -> str:
    kind = finding.get("event_type", "")
    if finding.get("category") == "fake_data" or kind in ("room_stats", "like", "enter", "gift", "order"):
        return "behaviour"
    if kind == "comment":
        return "chat"
    if kind in ("product", "session_start", "session_end"):
        return "listing"
    return "speech"


def behaviour_span(finding: dict[str, Any], first_ms: int) -> tuple[float, float] | None:
    """The minutes a behavioural finding covers (its window, or the seconds or minutes its numbers
    span before it), for a shaded span on the curve."""
    from clearlive.model.events import parse_ts

    facts = finding.get("facts") or {}
    end = finding["ts_ms"]
    if facts.get("window_start"):
        start = parse_ts(str(facts["window_start"]))
        end = parse_ts(str(facts.get("window_end") or finding["ts"]))
    elif isinstance(facts.get("seconds"), (int, float)):
        start = end - int(facts["seconds"] * 1000)
    elif isinstance(facts.get("minutes"), (int, float)):
        start = end - int(facts["minutes"] * 60_000)
    else:
        return None
    return round((start - first_ms) / 60000, 3), round((max(end, start + 30_000) - first_ms) / 60000, 3)


def curve_svg(
    viewers: list[dict[str, Any]],
    marks: list[dict[str, Any]],
    spans: list[dict[str, Any]],
    marker: dict[str, Any] | None = None,
    width: int = 860,
    titles: dict[str, str] | None = None,
) -> str:
    """Viewers online over the stream; findings as points in a few labelled layers (`marks`:
    minute, layer, label and an optional href), behavioural findings' spans shaded (`spans`:
    start, end, label), and one finding's moment marked (`marker`: minute, label). Each point is a
    link with a tooltip (an SVG title) when it has an href."""
    t = {"minute": "minutes into the stream", "online": "viewers online", "layer": "findings", **(titles or {})}
    x = {"field": "minute", "type": "quantitative", "title": t["minute"]}
    layers: list[dict[str, Any]] = []
    if spans:
        layers.append(
            {
                "data": {"values": spans},
                "mark": {"type": "rect", "color": "#f4c7c3", "opacity": 0.6},
                "encoding": {"x": {**x, "field": "start"}, "x2": {"field": "end"}, "description": {"field": "label"}},
            }
        )
    if viewers:
        layers.append(
            {
                "data": {"values": viewers},
                "mark": {"type": "line", "color": "#1f5f99", "strokeWidth": 1.5},
                "encoding": {"x": x, "y": {"field": "online", "type": "quantitative", "title": t["online"]}},
            }
        )
    if marks:
        layers.append(
            {
                "data": {"values": marks},
                "mark": {"type": "point", "filled": True, "size": 60, "opacity": 0.85, "yOffset": 0},
                "encoding": {
                    "x": x,
                    "y": {"value": 8},
                    "yOffset": {"field": "layer", "type": "nominal", "scale": {"range": [0, 48]}},
                    "color": {
                        "field": "layer",
                        "type": "nominal",
                        "title": t["layer"],
                        "scale": {"domain": list(LAYERS), "range": list(LAYERS.values())},
                        "legend": {"labelExpr": _label_expr({k: t.get(k, k) for k in LAYERS})},
                    },
                    "shape": {"field": "layer", "type": "nominal", "legend": None},
                    "href": {"field": "href"},
                    "description": {"field": "label"},
                },
            }
        )
    if marker is not None:
        layers.append(
            {
                "data": {"values": [marker]},
                "mark": {"type": "rule", "color": "#1d1d1f", "strokeWidth": 2, "strokeDash": [4, 3]},
                "encoding": {"x": x, "description": {"field": "label"}},
            }
        )
        layers.append(
            {
                "data": {"values": [marker]},
                "mark": {"type": "text", "align": "left", "dx": 4, "dy": -6, "fontSize": 12, "color": "#1d1d1f"},
                "encoding": {"x": x, "y": {"value": 0}, "text": {"field": "label"}},
            }
        )
    if not layers:
        return ""
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": width,
        "height": 220,
        "layer": layers,
        "resolve": {"scale": {"y": "independent"}},
        "config": {"font": "sans-serif", "view": {"stroke": None}, "legend": {"orient": "top"}},
    }
    svg = render_svg(spec).replace(_VEGA_BASE, 'xlink:href="')
    # A tooltip for each linked point: the label vega wrote as its aria-label, as an SVG <title>.
    return re.sub(r'(<a xlink:href="[^"]*">)(<path aria-label="([^"]*)")', r"\1<title>\3</title>\2", svg)


def _label_expr(names: dict[str, str]) -> str:
    """A Vega expression that shows each layer by its name in the reader's language."""
    import json

    return f"{json.dumps(names, ensure_ascii=False)}[datum.label]"
