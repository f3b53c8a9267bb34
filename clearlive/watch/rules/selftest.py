"""Run every rule's own examples (Semgrep-style rule tests): matches must fire, near-misses must not.

Each example runs through the real detector, as one event of its type in a fresh room, with any
`before` / `after` host utterances 10 seconds apart (for rules coupled across events) and the
host's `qualifications`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clearlive.model.events import TYPE_BY_NAME, EventBase, SessionStart, Utterance
from clearlive.watch.detectors.base import RoomState
from clearlive.watch.detectors.text_rules import TextRuleDetector
from clearlive.watch.rules.loader import Rule
from clearlive.watch.rules.matcher import RuleSet
from clearlive.watch.rules.schema import MatchExample, NoMatchExample

_T0 = 1_793_534_400_000


@dataclass(frozen=True, slots=True)
class ExampleResult:
    rule_id: str
    kind: str  # "match" or "no_match"
    text: str
    ok: bool
    detail: str


def _event(kind: str, text: str, ts: int, eid: str) -> EventBase:
    cls = TYPE_BY_NAME[kind]
    fields: dict[str, Any] = {"room_id": "example", "ts": ts, "id": eid}
    field = cls.TEXT_FIELD or "text"
    fields[field] = text
    if kind in ("comment", "like", "gift", "enter", "follow", "share"):
        fields["user_id"] = "viewer-1"
    if kind == "product":
        fields["sku"] = "sku-1"
    if kind in ("review", "complaint", "refund"):
        fields["order_id"] = "o-1"
    if kind == "review":
        fields["rating"] = 5
    return cls(**fields)


def _fired(detector: TextRuleDetector, rule: Rule, ex: MatchExample | NoMatchExample) -> list[str]:
    """Quotes the rule produces for the example's own event."""
    if ex.event not in TYPE_BY_NAME:
        return []
    room = RoomState("example")
    if ex.qualifications:
        start = SessionStart(room_id="example", ts=_T0 - 600_000, qualifications=list(ex.qualifications))
        room.update(start)
    events: list[EventBase] = []
    for i, text in enumerate(ex.before):
        events.append(Utterance(room_id="example", ts=_T0 - 10_000 * (len(ex.before) - i), id=f"before{i}", text=text))
    target = _event(ex.event, ex.text, _T0, "example")
    events.append(target)
    for i, text in enumerate(ex.after):
        events.append(Utterance(room_id="example", ts=_T0 + 10_000 * (i + 1), id=f"after{i}", text=text))
    quotes = []
    for ev in events:
        room.update(ev)
        for f in detector.observe(ev, room):
            if f.rule_id == rule.id and f.event_ids[0] == "example":
                quotes.append(f.evidence.text)
    return quotes


def run_examples(ruleset: RuleSet) -> list[ExampleResult]:
    detector = TextRuleDetector(ruleset)
    results: list[ExampleResult] = []
    for rule in ruleset.rules:
        for ex in rule.spec.examples.match:
            example = ex if isinstance(ex, MatchExample) else MatchExample(text=ex)
            quotes = _fired(detector, rule, example)
            ok = bool(quotes) and (example.quote is None or example.quote in quotes)
            detail = f"fired with {quotes}" if quotes else "did not fire"
            if quotes and not ok:
                detail = f"expected quote {example.quote!r}, got {quotes}"
            results.append(ExampleResult(rule.id, "match", example.text, ok, detail))
        for nx in rule.spec.examples.no_match:
            near = nx if isinstance(nx, NoMatchExample) else NoMatchExample(text=nx)
            quotes = _fired(detector, rule, near)
            results.append(
                ExampleResult(
                    rule.id, "no_match", near.text, not quotes, f"fired with {quotes}" if quotes else "did not fire"
                )
            )
    return results
