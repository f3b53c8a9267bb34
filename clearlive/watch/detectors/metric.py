"""Building findings for code detectors: one constructor, two kinds of evidence.

`detector_finding` fills the fields every finding shares from the event and the room.
`metric_finding` is for behavioural detectors whose evidence is numbers, not a quote (orders,
viewers, chat bursts): the evidence text is a one-line summary and `facts` carries the numbers.
Detectors that quote a claim use `fact_finding` (listing.py). Both take the declared rule
(declared.py): what every finding of that rule shares is written once, in its declaration.
"""

from __future__ import annotations

from clearlive.model.events import EventBase, Utterance, format_ts
from clearlive.model.findings import Evidence, Finding, LegalBasis, finding_id
from clearlive.watch.detectors.base import RoomState
from clearlive.watch.detectors.declared import DetectorRule
from clearlive.watch.detectors.speech import mark_speech_findings


def event_ms(ev: EventBase) -> int:
    """An event's time in epoch ms: `EventBase.__post_init__` has turned every parsed form into it."""
    return ev.ts


def detector_finding(
    *,
    rule_id: str,
    title: str,
    category: str,
    severity: str,
    confidence: float,
    ev: EventBase,
    room: RoomState,
    ts_ms: int,
    fingerprint: str,
    evidence: Evidence,
    event_ids: list[str],
    basis: list[LegalBasis],
    message: str,
    suggestion: str,
    facts: dict[str, object],
) -> Finding:
    f = Finding(
        id=finding_id(rule_id, fingerprint, evidence.normalized, 0),
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
        evidence=evidence,
        legal_basis=basis,
        message=message,
        suggestion=suggestion,
        title=title,
        speaker=ev.speaker if isinstance(ev, Utterance) else None,
        event_type=str(ev.__struct_config__.tag),
        stream_offset_s=ev.start if isinstance(ev, Utterance) and ev.start is not None else None,
        facts=facts,
    )
    # A claim judged later (at the room's end, against the listing) is emitted without the event
    # that made it: it must still say it rests on a speech-recognition transcript.
    mark_speech_findings([f], ev)
    return f


def metric_finding(
    rule: DetectorRule,
    *,
    ev: EventBase,
    room: RoomState,
    ts_ms: int,
    fingerprint: str,
    summary: str,
    event_ids: list[str],
    message: str,
    facts: dict[str, object],
    case: str | None = None,
) -> Finding:
    """A finding of a declared rule whose evidence text is a one-line summary of the numbers (it
    quotes no event text, so start/end span the summary itself). `fingerprint` must name the
    event(s) or accounts the finding rests on: it is what tells two such findings of one room
    apart. Title, category, severity, confidence, legal basis and suggestion are the rule's (or its
    `case`'s)."""
    evidence = Evidence(
        text=summary,
        start=0,
        end=len(summary),
        context=summary,
        field=rule.evidence_field,
        normalized=summary,
        matched=rule.id,
    )
    found = detector_finding(
        rule_id=rule.id,
        title=rule.title_of(case),
        category=rule.category_of(case),
        severity=rule.severity_of(case),
        confidence=rule.confidence_of(case),
        ev=ev,
        room=room,
        ts_ms=ts_ms,
        fingerprint=fingerprint,
        evidence=evidence,
        event_ids=event_ids,
        basis=rule.basis(case),
        message=message,
        suggestion=rule.suggestion,
        facts=facts,
    )
    # The summary's numbers grow while a pattern goes on (a cross-room window sees more of a ring
    # than the window before it): the id rests on the fingerprint alone, so the same pattern keeps it.
    found.id = finding_id(rule.id, fingerprint, "", 0)
    return found
