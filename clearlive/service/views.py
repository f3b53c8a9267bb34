"""What the room page shows: the viewer curve with findings, and speech and chat with the quoted
words highlighted in place."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from clearlive.report.charts import SEVERITY_COLOURS, timeline_svg
from clearlive.report.html import highlight
from clearlive.service.store import ServiceStore

TALK = ("utterance", "comment")


def room_view(store: ServiceStore, tenant: str, room_id: str) -> dict[str, Any]:
    events = store.room_events(tenant, room_id)
    findings = store.findings(tenant, room_id=room_id, limit=100_000)
    by_event: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        for eid in f.get("event_ids", [])[:1]:
            by_event.setdefault(eid, []).append(f)
    first = min((e["ts"] for e in events), default=0)
    first_ms = first if isinstance(first, int) else 0
    viewers = [
        {"minute": round((e["ts"] - first_ms) / 60000, 3), "online": e["online"]}
        for e in events
        if e["type"] == "room_stats" and isinstance(e["ts"], int)
    ]
    marks = [{"minute": round((f["ts_ms"] - first_ms) / 60000, 3), "severity": f["severity"]} for f in findings]
    lines = []
    for e in events:
        if e["type"] not in TALK:
            continue
        hits = by_event.get(e.get("id", ""), [])
        text = e.get("text", "")
        shown = Markup("{}").format(text)
        if hits:
            ev = hits[0]["evidence"]
            if text[ev["start"] : ev["end"]] == ev["text"]:
                shown = highlight(text, ev["start"], ev["end"], width=10_000)
        lines.append(
            {
                "minute": round((e["ts"] - first_ms) / 60000, 1),
                "who": "host" if e["type"] == "utterance" else e.get("user_id", "viewer"),
                "html": shown,
                "findings": hits,
            }
        )
    return {
        "room_id": room_id,
        "findings": findings,
        "lines": lines[-2000:],
        "timeline_svg": Markup(timeline_svg(viewers, marks)) if viewers or marks else "",
        "colours": SEVERITY_COLOURS,
    }
