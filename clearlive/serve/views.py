"""What the desk's pages show: the review queue as incidents with filters and pages, a finding at
its moment (transcript, chat, viewer curve, listing facts), a room page by page, a host's score."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from clearlive.model.findings import SEVERITIES, SEVERITY_RANK
from clearlive.report.charts import behaviour_span, curve_svg, layer_of
from clearlive.report.html import highlight, mark_quotes
from clearlive.report.playback import audio_src
from clearlive.serve.i18n import text_lang
from clearlive.serve.incidents import Incident, by_priority, group
from clearlive.serve.store import ServiceStore
from clearlive.serve.titles import title_in

TALK = ("utterance", "comment")
PAGE_SIZE = 25  # incidents per queue page
ROOM_PAGE_EVENTS = 400  # events per room page
# The room page's kinds of event (CONTRACT section 2), each a tab; "all" pages through every event.
EVENT_KINDS: dict[str, tuple[str, ...]] = {
    "speech": ("utterance",),
    "chat": ("comment",),
    "stats": ("room_stats",),
    "listings": ("product",),
    "orders": ("order",),
    "after_sale": ("refund", "review", "complaint", "shipment", "service_chat"),
    "engagement": ("enter", "follow", "share", "like", "gift"),
    "session": ("session_start", "session_end"),
}
MOMENT_MS = 120_000  # a finding's moment: the transcript and chat this long either side of it
VIEWS = ("open", "escalated", "decided", "all")


@dataclass(frozen=True, slots=True)
class QueueQuery:
    view: str = "open"
    severity: str = ""  # at least this severity
    category: str = ""
    rule: str = ""
    room: str = ""
    host: str = ""
    since: str = ""  # yyyy-mm-ddThh:mm, UTC (an <input type=datetime-local>)
    until: str = ""
    mine: bool = False
    page: int = 1

    @classmethod
    def from_params(cls, params: dict[str, str]) -> QueueQuery:
        q = cls()
        fields = {k: v.strip() for k, v in params.items() if k in cls.__slots__ and isinstance(v, str)}
        page = fields.pop("page", "1")
        mine = fields.pop("mine", "") in ("1", "on", "true")
        q = replace(q, **fields, mine=mine, page=int(page) if page.isdigit() and int(page) > 0 else 1)
        if q.view not in VIEWS:
            q = replace(q, view="open")
        if q.severity and q.severity not in SEVERITY_RANK:
            q = replace(q, severity="")
        return q

    def params(self, **changes: Any) -> str:
        """This query as URL parameters, with `changes`."""
        from urllib.parse import urlencode

        q = replace(self, **changes)
        pairs = [(k, getattr(q, k)) for k in self.__slots__ if getattr(q, k) not in ("", False, None)]
        return urlencode([(k, "1" if v is True else v) for k, v in pairs if not (k == "page" and v == 1)])


def _ms(value: str) -> int | None:
    if not value:
        return None
    try:
        return int(datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp() * 1000)
    except ValueError:
        return None


def in_view(inc: Incident, view: str) -> bool:
    counts = inc.statuses
    if view == "open":
        return counts["open"] > 0
    if view == "escalated":
        return counts["escalated"] > 0
    if view == "decided":
        return not counts["open"] and not counts["escalated"]
    return True


def queue_view(store: ServiceStore, tenant: str, me: str, q: QueueQuery) -> dict[str, Any]:
    findings = store.select_findings(
        tenant,
        rooms=[q.room] if q.room else None,
        rules=[q.rule] if q.rule else None,
        categories=[q.category] if q.category else None,
        severities=list(SEVERITIES[SEVERITY_RANK[q.severity] :]) if q.severity else None,
        hosts=[q.host] if q.host else None,
        since_ms=_ms(q.since),
        until_ms=_ms(q.until),
        assignee=me if q.mine else None,
    )
    incidents = by_priority(group(findings))
    counts = {v: sum(1 for i in incidents if in_view(i, v)) for v in VIEWS}
    shown = [i for i in incidents if in_view(i, q.view)]
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    page = min(q.page, pages)
    return {
        "q": replace(q, page=page),
        "incidents": [incident_view(i) for i in shown[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]],
        "n_incidents": len(shown),
        "n_findings": sum(len(i.findings) for i in shown),
        "first_shown": (page - 1) * PAGE_SIZE + 1 if shown else 0,
        "last_shown": min(page * PAGE_SIZE, len(shown)),
        "page": page,
        "pages": pages,
        "counts": counts,
        "facets": store.facets(tenant),
        "severities": SEVERITIES,
        "views": VIEWS,
    }


def incident_view(inc: Incident) -> dict[str, Any]:
    first = inc.first
    line = inc.line if inc.line is not None else first["evidence"]["context"]
    bases: dict[str, dict[str, Any]] = {}
    for f in inc.findings:
        for b in f.get("legal_basis", []):
            bases.setdefault(b["id"], b)
    return {
        "inc": inc,
        "first": first,
        "line_html": mark_quotes(line, inc.quotes),
        "line_lang": text_lang(line),
        "windowed": inc.line is None,
        "legal_basis": list(bases.values()),
    }


def incidents_of(store: ServiceStore, tenant: str, finding_ids: list[str]) -> list[dict[str, Any]]:
    """The incidents that exactly these findings form (the page sends all of an incident's ids)."""
    wanted = set(finding_ids)
    rows = [f for f in _findings_by_id(store, tenant, finding_ids) if f["id"] in wanted]
    return [incident_view(i) for i in group(sorted(rows, key=lambda f: (f["ts_ms"], f["seq"])))]


def _findings_by_id(store: ServiceStore, tenant: str, ids: list[str]) -> list[dict[str, Any]]:
    out = []
    unique = list(dict.fromkeys(ids))
    for i in range(0, len(unique), 500):
        out += store.select_findings(tenant, ids=unique[i : i + 500])
    return out


def _curve(store: ServiceStore, tenant: str, room_id: str, first_ms: int) -> list[dict[str, Any]]:
    stats = store.room_events(tenant, room_id, limit=10_000_000, types=("room_stats",))
    return [
        {"minute": round((e["ts"] - first_ms) / 60000, 3), "online": e["online"]}
        for e in stats
        if isinstance(e.get("ts"), int) and e.get("online") is not None
    ]


def chart_for(
    store: ServiceStore,
    tenant: str,
    room_id: str,
    findings: list[dict[str, Any]],
    first_ms: int,
    titles: dict[str, str],
    marker: dict[str, Any] | None = None,
) -> Markup:
    """The room's viewer curve with its findings as linked points in layers and behaviour spans."""
    marks, spans = [], []
    lang = titles.get("lang", "en")
    for f in findings:
        minute = round((f["ts_ms"] - first_ms) / 60000, 3)
        title = title_in(f["rule_id"], f.get("title", ""), lang)[0]
        label = f"{f['ts'][11:19]} {title}: {f['evidence']['text'][:60]}"
        marks.append({"minute": minute, "layer": layer_of(f), "label": label, "href": f"/findings/{f['id']}"})
        span = behaviour_span(f, first_ms) if layer_of(f) == "behaviour" else None
        if span is not None:
            spans.append({"start": span[0], "end": span[1], "label": title})
    svg = curve_svg(_curve(store, tenant, room_id, first_ms), marks, spans, marker, titles=titles)
    return Markup(svg)


def room_view(
    store: ServiceStore, tenant: str, room_id: str, page: int, titles: dict[str, str], kind: str = "all"
) -> dict[str, Any]:
    """A room: its viewer curve with every finding, and its events of one kind (or all), page by page."""
    if kind not in EVENT_KINDS:
        kind = "all"
    types = EVENT_KINDS.get(kind)
    first_ms = store.room_first_ms(tenant, room_id) or 0
    findings = store.findings(tenant, room_id=room_id, limit=None)
    by_event = _by_first_event(findings)
    per_type = store.count_room_events_by_type(tenant, room_id)
    kinds = {k: sum(per_type.get(t, 0) for t in ts) for k, ts in EVENT_KINDS.items()}
    n_events = sum(per_type.values())
    n_shown = n_events if types is None else kinds[kind]
    pages = max(1, -(-n_shown // ROOM_PAGE_EVENTS))
    page = min(max(page, 1), pages)
    events = store.room_events(tenant, room_id, ROOM_PAGE_EVENTS, (page - 1) * ROOM_PAGE_EVENTS, types)
    return {
        "room_id": room_id,
        "findings": findings,
        "lines": [event_line(e, by_event, first_ms) for e in events],
        "kind": kind,
        "kinds": {"all": n_events, **kinds},
        "n_shown": n_shown,
        "n_events": n_events,
        "first_shown": (page - 1) * ROOM_PAGE_EVENTS + 1 if events else 0,
        "last_shown": (page - 1) * ROOM_PAGE_EVENTS + len(events),
        "page": page,
        "pages": pages,
        "chart": chart_for(store, tenant, room_id, findings, first_ms, titles) if findings or first_ms else "",
        "first_ms": first_ms,
    }


def _by_first_event(findings: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_event: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        for eid in f.get("event_ids", [])[:1]:
            by_event.setdefault(eid, []).append(f)
    return by_event


def talk_line(e: dict[str, Any], by_event: dict[str, list[dict[str, Any]]], first_ms: int) -> dict[str, Any]:
    hits = by_event.get(e.get("id", ""), [])
    text = e.get("text", "")
    shown = Markup("{}").format(text)
    if hits:
        ev = hits[0]["evidence"]
        if text[ev["start"] : ev["end"]] == ev["text"]:
            shown = highlight(text, ev["start"], ev["end"], width=10_000)
    return {
        "id": e.get("id", ""),
        "ts_ms": e["ts"],
        "minute": round((e["ts"] - first_ms) / 60000, 1),
        "who": e.get("speaker", "host") if e["type"] == "utterance" else e.get("user_id", "viewer"),
        "host": e["type"] == "utterance",
        "html": shown,
        "lang": text_lang(text),
        "findings": hits,
    }


def event_line(e: dict[str, Any], by_event: dict[str, list[dict[str, Any]]], first_ms: int) -> dict[str, Any]:
    """One event as a row: speech and chat with their quote marked, other kinds by their fields
    (the template names them in the reader's language)."""
    line = talk_line(e, by_event, first_ms)
    line["type"] = e["type"]
    line["event"] = e
    if e["type"] not in TALK:
        line["who"] = e.get("user_id") or ""
        line["lang"] = text_lang(e.get("text") or e.get("title") or e.get("reason") or "")
    return line


def finding_view(store: ServiceStore, tenant: str, finding_id: str, titles: dict[str, str]) -> dict[str, Any] | None:
    """A finding at its moment: the speech and chat around it, its place on the viewer curve, the
    listing facts it was checked against, its incident and its neighbours in the room."""
    f = store.finding(tenant, finding_id)
    if f is None:
        return None
    room = f["room_id"]
    first_ms = store.room_first_ms(tenant, room) or f["ts_ms"]
    room_findings = store.findings(tenant, room_id=room, limit=None)
    by_event = _by_first_event(room_findings)
    around = store.room_events(
        tenant, room, 2000, types=TALK, between_ms=(f["ts_ms"] - MOMENT_MS, f["ts_ms"] + MOMENT_MS)
    )
    listings = store.room_events(tenant, room, 200, types=("product",), between_ms=(0, f["ts_ms"]))
    latest: dict[str, dict[str, Any]] = {}
    for p in listings:
        latest[p.get("sku", "")] = p
    order = [g["id"] for g in room_findings]
    k = order.index(finding_id)
    minute = round((f["ts_ms"] - first_ms) / 60000, 3)
    incident = next((i for i in group(_with_assignee(store, tenant, room_findings)) if finding_id in i.ids), None)
    return {
        "f": f,
        "audio_src": audio_src(f.get("speech")),  # the room's recording at this moment, where one is kept
        "quote_lang": text_lang(f["evidence"]["context"]),
        "lines": [talk_line(e, by_event, first_ms) for e in around],
        "listings": list(latest.values()),
        "chart": chart_for(
            store, tenant, room, room_findings, first_ms, titles, {"minute": minute, "label": titles["here"]}
        ),
        "minute": minute,
        "prev_id": order[k - 1] if k > 0 else None,
        "next_id": order[k + 1] if k + 1 < len(order) else None,
        "incident": incident_view(incident) if incident else None,
        "room_page": 1 + _line_index(store, tenant, room, f) // ROOM_PAGE_EVENTS,
    }


def _with_assignee(store: ServiceStore, tenant: str, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not findings:
        return []
    rows = store.db.query(
        "SELECT id, assignee FROM findings WHERE tenant = ? AND room_id = ?", [tenant, findings[0]["room_id"]]
    )
    who = dict(rows)
    return sorted(({**f, "assignee": who.get(f["id"])} for f in findings), key=lambda f: (f["ts_ms"], f["seq"]))


def _line_index(store: ServiceStore, tenant: str, room_id: str, f: dict[str, Any]) -> int:
    """How many events of the room come before the finding's first event (the room page's order:
    time, then id): the page of all events it is on."""
    eid = (f.get("event_ids") or [""])[0]
    at = store.db.query("SELECT ts_ms FROM events WHERE tenant = ? AND room_id = ? AND id = ?", [tenant, room_id, eid])
    ts_ms = at[0][0] if at else f["ts_ms"]
    rows = store.db.query(
        "SELECT count(*) FROM events WHERE tenant = ? AND room_id = ? AND (ts_ms < ? OR (ts_ms = ? AND id < ?))",
        [tenant, room_id, ts_ms, ts_ms, eid],
    )
    return int(rows[0][0])


MAX_HOST_EVENTS = 500_000  # the page scores from the stored events; beyond this, use `clearlive score`


def host_view(store: ServiceStore, tenant: str, anchor_id: str) -> dict[str, Any] | None:
    """The host's service score, dimensions and credit ledger, from the tenant's stored events,
    findings and review decisions (the same `score_events` as `clearlive score`)."""
    import msgspec

    from clearlive.measure import score_events
    from clearlive.model.events import Event
    from clearlive.model.findings import Finding
    from clearlive.report.charts import dimensions_svg

    rows = store.db.query(
        "SELECT payload FROM events WHERE tenant = ? ORDER BY ts_ms, id LIMIT ?", [tenant, MAX_HOST_EVENTS]
    )
    events = [msgspec.json.decode(r[0], type=Event) for r in rows]
    findings = [
        msgspec.convert({k: v for k, v in f.items() if k not in ("seq", "status")}, Finding)
        for f in store.findings(tenant, limit=None)
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
    return {"h": h, "dims_svg": Markup(dimensions_svg(dims)), "scores_href": "/", "finding_href": "/findings/"}


def hosts_of(store: ServiceStore, tenant: str) -> list[str]:
    rows = store.db.query(
        "SELECT DISTINCT anchor_id FROM findings WHERE tenant = ? AND anchor_id IS NOT NULL ORDER BY anchor_id",
        [tenant],
    )
    return [r[0] for r in rows]
