"""`clearlive report`: self-contained offline HTML pages from a ClearLive DuckDB file.

One page per session (counts, a timeline of findings over the viewer curve, the evidence table)
and an index. Pages inline their CSS and SVG charts; nothing is fetched from the network.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from clearlive.errors import InputError
from clearlive.model.events import format_ts
from clearlive.model.findings import SEVERITIES, SEVERITY_RANK
from clearlive.report.charts import (
    SEVERITY_COLOURS,
    behaviour_span,
    counts_svg,
    curve_svg,
    dimensions_svg,
    facts_svg,
    layer_of,
    quadrant_svg,
)
from clearlive.report.playback import audio_src
from clearlive.serve.titles import title_in
from clearlive.watch.scan_db import Store

if TYPE_CHECKING:
    from jinja2 import Environment

HIGHLIGHT_CONTEXT = 40
LANGUAGES = ("en", "zh")  # the report's interface languages (the desk's catalogue, clearlive/serve/locale)


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


def mark_quotes(line: str, quotes: list[str]) -> Markup:
    """`line` with every occurrence of each quote marked."""
    spans = []
    for q in quotes:
        spans += [(m.start(), m.end()) for m in re.finditer(re.escape(q), line)] if q else []
    out, pos = Markup(""), 0
    for start, end in sorted(spans):
        if start < pos:
            continue
        out += escape(line[pos:start]) + Markup("<mark>") + escape(line[start:end]) + Markup("</mark>")
        pos = end
    return out + escape(line[pos:])


def _clock(offset_s: float | None) -> str:
    if offset_s is None:
        return ""
    s = int(offset_s)
    return f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _session_page(
    store: Store, s: dict[str, Any], titles: dict[str, str], page_dir: Path | None = None
) -> dict[str, Any]:
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
        f["audio_src"] = audio_src(f.get("speech"), page_dir)  # the recording at the finding's moment
        f["quote_html"] = highlight(source_text, ev["start"], ev["end"])
        # Behavioural findings rest on numbers: show them as a small chart beside the evidence.
        f["facts_svg"] = Markup(facts_svg(f["facts"])) if f.get("facts") and f["category"] == "fake_data" else ""
        findings.append(f)
    counts = con.execute(
        "SELECT category, severity, count(*) AS n FROM findings WHERE room_id = ? AND coalesce(session_id, '') = ? "
        "GROUP BY ALL ORDER BY category",
        key,
    ).fetchall()
    count_rows = sorted(
        ({"category": c, "severity": sev, "n": n} for c, sev, n in counts),
        key=lambda r: (r["category"], -SEVERITY_RANK[r["severity"]]),
    )
    by_severity: dict[str, int] = {}
    for row in count_rows:
        by_severity[row["severity"]] = by_severity.get(row["severity"], 0) + row["n"]
    incidents, notes = _incidents(findings)
    lang = titles.get("lang", "en")
    marks = [
        {"minute": f["minute"], "layer": layer_of(f), "label": _mark_label(f, lang), "href": f"#{f['id']}"}
        for f in findings
    ]
    spans = [
        {"start": span[0], "end": span[1], "label": title_in(f["rule_id"], f.get("title", ""), lang)[0]}
        for f in findings
        if layer_of(f) == "behaviour" and (span := behaviour_span(f, first)) is not None
    ]
    return {
        "session": s,
        "started": format_ts(first) if first else "",
        "viewers": viewers,
        "findings": findings,
        "incidents": incidents,
        "notes": notes,
        "categories": sorted({f["category"] for f in findings}),
        "severities": [sev for sev in reversed(SEVERITIES) if sev in by_severity],
        "by_category": sorted({r["category"] for r in count_rows}),
        "count_rows": count_rows,
        "by_severity": sorted(by_severity.items(), key=lambda kv: -SEVERITY_RANK[kv[0]]),
        "timeline_svg": Markup(curve_svg(viewers, marks, spans, titles=titles)),
        "counts_svg": Markup(counts_svg(count_rows, titles=titles)),
    }


def _mark_label(f: dict[str, Any], lang: str) -> str:
    title = title_in(f["rule_id"], f.get("title", ""), lang)[0]
    return f"{f['clock'] or f['ts'][11:19]} {title}: {f['evidence']['text'][:60]}"


def _incidents(findings: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The evidence as the review queue shows it: one row per incident (a rule on a line, or a
    rule's run of chat or behaviour), and each distinct legal basis once, as a numbered footnote."""
    from clearlive.serve.incidents import by_priority, group

    notes: dict[str, dict[str, Any]] = {}
    rows = []
    for inc in by_priority(group([{**f, "status": "open"} for f in findings])):
        first = inc.first
        refs = []
        for f in inc.findings:
            for b in f.get("legal_basis", []):
                note = notes.setdefault(b["id"], {**b, "n": len(notes) + 1})
                if note["n"] not in refs:
                    refs.append(note["n"])
        line = inc.line if inc.line is not None else first["evidence"]["context"]
        rows.append(
            {
                "id": inc.id,
                "first": first,
                "severity": inc.severity,
                "findings": inc.findings,
                "line_html": first["quote_html"] if inc.line is None else mark_quotes(line, inc.quotes),
                "windowed": inc.line is None,
                "notes": sorted(refs),
                "search": " ".join([line, first.get("title", ""), first["rule_id"], first["category"]]).lower(),
            }
        )
    return rows, sorted(notes.values(), key=lambda n: n["n"])


def write_report(db: Path, out: Path, lang: str = "en") -> ReportPaths:
    """Write the index to `out` and one page per session into `<out stem>_sessions/`, in `lang`
    (en or zh: headings, category and severity names, rule titles; quotes stay as said)."""
    from clearlive.serve.i18n import chart_titles, environment

    if lang not in LANGUAGES:
        raise InputError(f"report language {lang!r}: use one of {', '.join(LANGUAGES)}")
    env = environment(lang)
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
            s["by_severity"] = dict(
                sorted(json.loads(s["by_severity"] or "{}").items(), key=lambda kv: -SEVERITY_RANK[kv[0]])
            )
            s["page"] = f"{pages_dir.name}/{_slug(s['room_id'], s['session_id'])}.html"
            s["started"] = format_ts(s["first_ts_ms"]) if s["first_ts_ms"] else ""
            s["duration_min"] = round(((s["last_ts_ms"] or 0) - (s["first_ts_ms"] or 0)) / 60000, 1)
            path = out.parent / s["page"]
            page = _session_page(store, s, chart_titles(lang), path.parent)
            path.write_text(
                env.get_template("session.html").render(**page, colours=SEVERITY_COLOURS, index_href=f"../{out.name}"),
                encoding="utf-8",
            )
            written.append(path)
        totals = store.counts()
        scores = _latest_scores(store)
    scores_page, host_pages = _write_scores(env, scores, out) if scores else (None, [])
    out.write_text(
        env.get_template("index.html").render(
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


def _write_scores(env: Environment, scores: list[dict[str, Any]], out: Path) -> tuple[Path, list[Path]]:
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
            env.get_template("host.html").render(
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
        env.get_template("scores.html").render(
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


__all__ = ["ReportPaths", "highlight", "mark_quotes", "write_report"]
