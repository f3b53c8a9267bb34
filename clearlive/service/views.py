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


MAX_HOST_EVENTS = 500_000  # the page scores from the stored events; beyond this, use `clearlive score`


def host_view(store: ServiceStore, tenant: str, anchor_id: str) -> dict[str, Any] | None:
    """The host's service score, dimensions and credit ledger, from the tenant's stored events,
    findings and review decisions (the same `score_events` as `clearlive score`)."""
    import msgspec

    from clearlive.model.events import Event
    from clearlive.model.findings import Finding
    from clearlive.report.charts import dimensions_svg
    from clearlive.scoring import score_events

    rows = store.db.query(
        "SELECT payload FROM events WHERE tenant = ? ORDER BY ts_ms, id LIMIT ?", [tenant, MAX_HOST_EVENTS]
    )
    events = [msgspec.json.decode(r[0], type=Event) for r in rows]
    findings = [
        msgspec.convert({k: v for k, v in f.items() if k not in ("seq", "status")}, Finding)
        for f in store.findings(tenant, limit=1_000_000)
    ]
    scores = score_events(events, findings=findings, decisions=store.decisions(tenant))
    host = next((s for s in scores if s.entity_type == "host" and s.entity_id == anchor_id), None)
    if host is None:
        return None
    h = msgspec.to_builtins(host)
    dims = [
        {"dimension": n, "score": d["score"], "low": (d["interval"] or [0, 0])[0], "high": (d["interval"] or [0, 0])[1]}
        for n, d in h["dimensions"].items()
    ]
    return {"h": h, "dims_svg": Markup(dimensions_svg(dims)), "scores_href": "/"}


def hosts_of(store: ServiceStore, tenant: str) -> list[str]:
    rows = store.db.query(
        "SELECT DISTINCT anchor_id FROM findings WHERE tenant = ? AND anchor_id IS NOT NULL ORDER BY anchor_id",
        [tenant],
    )
    return [r[0] for r in rows]
