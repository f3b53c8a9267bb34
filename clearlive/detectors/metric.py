"""Findings whose evidence is numbers, not a quote (behavioural detectors: orders, viewers)."""

from __future__ import annotations

from clearlive.detectors.base import RoomState
from clearlive.legal import citation_table
from clearlive.model.events import EventBase, format_ts
from clearlive.model.findings import Evidence, Finding, finding_id


def metric_finding(
    *,
    rule_id: str,
    title: str,
    severity: str,
    confidence: float,
    ev: EventBase,
    room: RoomState,
    ts_ms: int,
    fingerprint: str,
    summary: str,
    field: str,
    event_ids: list[str],
    basis_ids: list[str],
    message: str,
    suggestion: str,
    facts: dict[str, object],
    category: str = "fake_data",
) -> Finding:
    """A finding whose evidence text is a one-line summary of the numbers (it quotes no event text,
    so start/end span the summary itself); `facts` carries the numbers for charts and review."""
    table = citation_table()
    return Finding(
        id=finding_id(rule_id, fingerprint, summary, 0),
        rule_id=rule_id,
        category=category,
        severity=severity,
        confidence=confidence,
        room_id=ev.room_id,
        session_id=ev.session_id or room.session_id,
        anchor_id=ev.anchor_id or room.anchor_id,
        ts=format_ts(ts_ms),
        ts_ms=ts_ms,
        event_ids=event_ids,
        evidence=Evidence(
            text=summary, start=0, end=len(summary), context=summary, field=field, normalized=summary, matched=rule_id
        ),
        legal_basis=[table[i] for i in basis_ids],
        message=message,
        suggestion=suggestion,
        title=title,
        event_type=ev.__struct_config__.tag,  # type: ignore[arg-type]
        facts=facts,
    )
