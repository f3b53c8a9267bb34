"""`clearlive report`: self-contained offline HTML pages from a ClearLive DuckDB file.

One page per session (counts, a timeline of findings over the viewer curve, the evidence table)
and an index. Pages inline their CSS and SVG charts; nothing is fetched from the network.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from clearlive.errors import InputError
from clearlive.model.events import format_ts
from clearlive.model.findings import SEVERITY_RANK
from clearlive.report.charts import (
    SEVERITY_COLOURS,
    counts_svg,
    dimensions_svg,
    facts_svg,
    quadrant_svg,
    timeline_svg,
)
from clearlive.store import Store

_env = Environment(loader=PackageLoader("clearlive.report", "templates"), autoescape=select_autoescape())
HIGHLIGHT_CONTEXT = 40


@dataclass(frozen=True, slots=True)
class ReportPaths:
    index: Path
    sessions: list[Path]
    scores: Path | None = None
    hosts: tuple[Path, ...] = ()


def _slug(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", "-".join(p for p in parts if p)) or "session"


def highlight(text: str | None, start: int, end: int, width: int = HIGHLIGHT_CONTEXT) -> Markup:
    """The original text around [start, end) with the quote marked; offsets are into `text`."""
    if not text:
        return Markup("")
    lo, hi = max(0, start - width), min(len(text), end + width)
    return Markup("{}{}<mark>{}</mark>{}{}").format(
        "…" if lo > 0 else "", text[lo:start], text[start:end], text[end:hi], "…" if hi < len(text) else ""
    )


def _clock(offset_s: float | None) -> str:
    if offset_s is None:
        return ""
    s = int(offset_s)
    return f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _session_page(store: Store, s: dict[str, Any]) -> dict[str, Any]:
    con = store.con
    key = [s["room_id"], s["session_id"]]
    first = s["first_ts_ms"] or 0
    viewers = [
        {"minute": round((ts - first) / 60000, 3), "online": online}
        for ts, online in con.execute(
            "SELECT ts_ms, online FROM events WHERE type = 'room_stats' AND room_id = ? "
            "AND coalesce(session_id, '') = ? ORDER BY ts_ms",
            key,
        ).fetchall()
    ]
    rows = con.execute(
        """SELECT f.record, e.text FROM findings f LEFT JOIN events e ON e.id = f.event_id
           WHERE f.room_id = ? AND coalesce(f.session_id, '') = ? ORDER BY f.ts_ms, f.quote_start, f.rule_id""",
        key,
    ).fetchall()
    findings = []
    for record, text in rows:
        f = json.loads(record)
        ev = f["evidence"]
        source_text = text if text is not None and text[ev["start"] : ev["end"]] == ev["text"] else ev["context"]
        if source_text is ev["context"]:
            i = source_text.find(ev["text"])
            ev["start"], ev["end"] = i, i + len(ev["text"])
        f["minute"] = round((f["ts_ms"] - first) / 60000, 3)
        f["clock"] = _clock(f.get("stream_offset_s"))
        f["quote_html"] = highlight(source_text, ev["start"], ev["end"])
        # Behavioural findings rest on numbers: show them as a small chart beside the evidence.
        f["facts_svg"] = Markup(facts_svg(f["facts"])) if f.get("facts") and f["category"] == "fake_data" else ""
        findings.append(f)
    counts = con.execute(
        "SELECT category, severity, count(*) AS n FROM findings WHERE room_id = ? AND coalesce(session_id, '') = ? "
        "GROUP BY ALL ORDER BY category, severity",
        key,
    ).fetchall()
    count_rows = [{"category": c, "severity": sev, "n": n} for c, sev, n in counts]
    by_severity: dict[str, int] = {}
    for row in count_rows:
        by_severity[row["severity"]] = by_severity.get(row["severity"], 0) + row["n"]
    return {
        "session": s,
        "started": format_ts(first) if first else "",
        "viewers": viewers,
        "findings": findings,
        "by_category": sorted({r["category"] for r in count_rows}),
        "count_rows": count_rows,
        "by_severity": sorted(by_severity.items(), key=lambda kv: -SEVERITY_RANK[kv[0]]),
        "timeline_svg": Markup(
            timeline_svg(viewers, [{"minute": f["minute"], "severity": f["severity"]} for f in findings])
        ),
        "counts_svg": Markup(counts_svg(count_rows)),
    }


def write_report(db: Path, out: Path) -> ReportPaths:
    """Write the index to `out` and one page per session into `<out stem>_sessions/`."""
    if not db.exists():
        raise InputError(f"{db}: no such database; run `clearlive scan --db {db}` first")
    out.parent.mkdir(parents=True, exist_ok=True)
    pages_dir = out.with_name(out.stem + "_sessions")
    pages_dir.mkdir(exist_ok=True)
    with Store(db, read_only=True) as store:
        cur = store.con.execute("SELECT * FROM sessions ORDER BY n_findings DESC, room_id, session_id")
        cols = [d[0] for d in cur.description]
        sessions = [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
        written = []
        for s in sessions:
            s["by_category"] = json.loads(s["by_category"] or "{}")
            s["by_severity"] = json.loads(s["by_severity"] or "{}")
            s["page"] = f"{pages_dir.name}/{_slug(s['room_id'], s['session_id'])}.html"
            s["started"] = format_ts(s["first_ts_ms"]) if s["first_ts_ms"] else ""
            s["duration_min"] = round(((s["last_ts_ms"] or 0) - (s["first_ts_ms"] or 0)) / 60000, 1)
            page = _session_page(store, s)
            path = out.parent / s["page"]
            path.write_text(
                _env.get_template("session.html").render(**page, colours=SEVERITY_COLOURS, index_href=f"../{out.name}"),
                encoding="utf-8",
            )
            written.append(path)
        totals = store.counts()
        scores = _latest_scores(store)
    scores_page, host_pages = _write_scores(scores, out) if scores else (None, [])
    out.write_text(
        _env.get_template("index.html").render(
            sessions=sessions,
            totals=totals,
            db=db.name,
            colours=SEVERITY_COLOURS,
            scores_href=scores_page.name if scores_page else None,
        ),
        encoding="utf-8",
    )
    return ReportPaths(out, written, scores_page, tuple(host_pages))


def _latest_scores(store: Store) -> list[dict[str, Any]]:
    """The score records of the newest window in the store (written by `clearlive score --db`)."""
    rows = store.con.execute(
        "SELECT record FROM scores WHERE window_end = (SELECT max(window_end) FROM scores) "
        "ORDER BY entity_type DESC, score DESC NULLS LAST, entity_id"
    ).fetchall()
    return [json.loads(r[0]) for r in rows]


def _write_scores(scores: list[dict[str, Any]], out: Path) -> tuple[Path, list[Path]]:
    """A page of shop and host scores with the traffic-versus-service chart, and a page per host."""
    page = out.with_name(out.stem + "_scores.html")
    hosts_dir = out.with_name(out.stem + "_hosts")
    hosts_dir.mkdir(exist_ok=True)
    hosts = [s for s in scores if s["entity_type"] == "host"]
    shops = [s for s in scores if s["entity_type"] == "shop"]
    written = []
    for h in hosts:
        h["page"] = f"{hosts_dir.name}/{_slug(h['entity_id'])}.html"
        dims = [
            {
                "dimension": name,
                "score": d["score"],
                "low": (d["interval"] or [0, 0])[0],
                "high": (d["interval"] or [0, 0])[1],
            }
            for name, d in h["dimensions"].items()
        ]
        path = out.parent / h["page"]
        path.write_text(
            _env.get_template("host.html").render(
                h=h, dims_svg=Markup(dimensions_svg(dims)), scores_href=f"../{page.name}"
            ),
            encoding="utf-8",
        )
        written.append(path)
    points = [
        {"host": h["entity_id"], "gmv": max(h["traffic"]["gmv"], 1.0), "score": h["score"], "quadrant": h["quadrant"]}
        for h in hosts
        if h["score"] is not None and h.get("traffic") and h.get("quadrant")
    ]
    page.write_text(
        _env.get_template("scores.html").render(
            hosts=hosts,
            shops=shops,
            host_dims=list(hosts[0]["dimensions"]) if hosts else [],
            shop_dims=list(shops[0]["dimensions"]) if shops else [],
            window=scores[0]["window"],
            quadrant_svg=Markup(quadrant_svg(points)),
            index_href=out.name,
        ),
        encoding="utf-8",
    )
    return page, written


__all__ = ["ReportPaths", "highlight", "write_report"]
