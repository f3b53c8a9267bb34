"""Claim frames as findings: health claims understood as target + effect (clearlive/claims).

Runs on host speech, listings and titles after the text rules and speaks only where no rule of
the same category fired on the same text (one incident, one finding). Its rules are declared in
clearlive/claims/rules.yaml with their legal basis and examples. A host whose room carries a
medicine or device licence (国药准字, 械字号) is exempt, as with the rule packs.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from clearlive.claims.frames import Claim, parse_claims
from clearlive.claims.speech_acts import is_latin
from clearlive.detectors.base import Detector, RoomState
from clearlive.detectors.listing import basis, fact_finding
from clearlive.detectors.text_rules import TextRuleDetector
from clearlive.model.events import EventBase, scannable_text
from clearlive.model.findings import Finding
from clearlive.normalize import normalize
from clearlive.yamlsafe import load_yaml

RULES_FILE = Path(__file__).parents[1] / "claims" / "rules.yaml"
LICENSED = ("国药准字", "药品批准文号", "械字号", "医疗器械注册", "otc")
_RULE_OF_KIND = {
    "disease": "claims.efficacy.disease",
    "body": "claims.efficacy.body",
    "weight": "claims.efficacy.weight",
    "rate": "claims.efficacy.rate",
}


@cache
def declared_rules() -> dict[str, dict[str, Any]]:
    """The detector's rules by id, as declared in clearlive/claims/rules.yaml."""
    doc = load_yaml(RULES_FILE.read_text(encoding="utf-8"))
    return {r["id"]: r for r in doc["rules"]}


class ClaimFrameDetector(Detector):
    id = "claims"
    event_types = frozenset({"utterance", "product", "session_start"})

    def __init__(self, rules: TextRuleDetector) -> None:
        self.rules = rules

    def observe(self, event: EventBase, room: RoomState) -> Iterable[Finding]:
        text = scannable_text(event)
        if not text or not text.strip():
            return ()
        normalised = self.rules.normalised_of(event, text)
        claims = parse_claims(normalised)
        if not claims:
            return ()
        if any(k in q.lower() for q in room.qualifications for k in LICENSED):
            return ()
        by_rules = {m.rule.spec.category for m in self.rules.matches_of(event)}
        if by_rules & {"efficacy_claim", "pseudo_science"}:
            return ()
        norm = normalize(text)
        script = "en" if is_latin(norm.text) else "zh"
        return [self._finding(c, event, room, norm, script) for c in claims[:1]]

    def _finding(self, claim: Claim, ev: EventBase, room: RoomState, norm: Any, script: str) -> Finding:
        rule = declared_rules()[_RULE_OF_KIND[claim.kind]]
        return fact_finding(
            rule_id=rule["id"],
            title=rule["title"],
            category=rule["category"],
            severity=rule["severity"],
            confidence=rule["confidence"],
            ev=ev,
            room=room,
            norm=norm,
            span=(claim.start, claim.end),
            message=rule["message"],
            suggestion=rule["suggestion"],
            basis=basis(*rule["legal_basis"][script]),
            facts={
                "target": claim.target,
                "effect": claim.effect,
                "kind": claim.kind,
                "strength": claim.strength,
                **({"quantity": claim.quantity} if claim.quantity else {}),
            },
        )
