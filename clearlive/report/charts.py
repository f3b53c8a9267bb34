"""Vega-Lite charts rendered to SVG offline with vl-convert, so report pages need no network."""

from __future__ import annotations

from typing import Any

import vl_convert as vlc

SEVERITY_COLOURS = {"info": "#8c8c8c", "low": "#4e79a7", "medium": "#f28e2b", "high": "#e15759", "critical": "#76078a"}


def render_svg(spec: dict[str, Any]) -> str:
    svg = vlc.vegalite_to_svg(spec)
    # Drop the XML prolog so the SVG can be inlined into HTML.
    return svg[svg.find("<svg") :]


def timeline_svg(viewers: list[dict[str, Any]], findings: list[dict[str, Any]], width: int = 860) -> str:
    """Online viewers over the stream with one rule per finding, coloured by severity."""
    layers: list[dict[str, Any]] = []
    if viewers:
        layers.append(
            {
                "data": {"values": viewers},
                "mark": {"type": "area", "line": {"color": "#4e79a7"}, "color": "#dbe6f2"},
                "encoding": {
                    "x": {"field": "minute", "type": "quantitative", "title": "minutes into the stream"},
                    "y": {"field": "online", "type": "quantitative", "title": "viewers online"},
                },
            }
        )
    if findings:
        layers.append(
            {
                "data": {"values": findings},
                "mark": {"type": "rule", "strokeWidth": 1.5, "opacity": 0.75},
                "encoding": {
                    "x": {"field": "minute", "type": "quantitative", "title": "minutes into the stream"},
                    "color": {
                        "field": "severity",
                        "type": "nominal",
                        "title": "finding severity",
                        "scale": {"domain": list(SEVERITY_COLOURS), "range": list(SEVERITY_COLOURS.values())},
                    },
                },
            }
        )
    if not layers:
        return ""
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": width,
        "height": 220,
        "layer": layers,
        "config": {"font": "sans-serif", "view": {"stroke": None}},
    }
    return render_svg(spec)


def counts_svg(rows: list[dict[str, Any]], width: int = 420) -> str:
    """Findings per category, stacked by severity."""
    if not rows:
        return ""
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": width,
        "height": {"step": 22},
        "data": {"values": rows},
        "mark": "bar",
        "encoding": {
            "y": {"field": "category", "type": "nominal", "sort": "-x", "title": None},
            "x": {"field": "n", "type": "quantitative", "title": "findings"},
            "color": {
                "field": "severity",
                "type": "nominal",
                "scale": {"domain": list(SEVERITY_COLOURS), "range": list(SEVERITY_COLOURS.values())},
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
