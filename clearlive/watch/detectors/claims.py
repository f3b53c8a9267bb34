"""Claim frames as findings (clearlive/watch/claims): health claims understood as target + effect, gift
requests named from the platforms' catalogues, and reference-price and urgency claims that no fact
in the room can check.

Runs on host speech, listings and titles after the text rules and speaks only where no rule of
the same category fired on the same text (one incident, one finding). Reference prices and urgency
wait for the end of the room: with a listing that has a price history or stock, the fact detectors
judge them (clearlive/watch/detectors/facts.py); without one they are flagged as unverifiable. Its rules
are declared in clearlive/watch/claims/rules.yaml with their legal basis and examples. A host whose room
carries a medicine or device licence (国药准字, 械字号) makes no efficacy finding, as with the packs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from clearlive.errors import RuleLoadError
from clearlive.model.events import EventBase, scannable_text
from clearlive.model.findings import Finding
from clearlive.watch.claims.frames import (
    FactClaim,
    parse_claims,
    parse_class_claims,
    parse_fact_claims,
    parse_gift_requests,
    parse_speaker_claims,
    trigger_roles,
    warm_up,
)
from clearlive.watch.claims.speech_acts import is_latin, speaker_act
from clearlive.watch.detectors.base import RoomState
from clearlive.watch.detectors.declared import Case, DetectorRule
from clearlive.watch.detectors.listing import fact_finding, listing
from clearlive.watch.detectors.textview import TextAnalyzer, TextDetector, TextView
from clearlive.watch.normalize import NormalizedText, normalize
from clearlive.yamlsafe import load_yaml

RULES_FILE = Path(__file__).parents[1] / "claims" / "rules.yaml"
LICENSED = ("国药准字", "药品批准文号", "械字号", "医疗器械注册", "otc")
_RULE_OF_KIND = {
    "disease": "claims.efficacy.disease",
    "body": "claims.efficacy.body",
    "weight": "claims.efficacy.weight",
    "rate": "claims.efficacy.rate",
    "audience": "claims.efficacy.disease_audience",
    "medication": "claims.efficacy.medication",
}
_RULE_OF_SPEAKER = {
    "credential": "claims.impersonation.credential",
    "sales": "claims.data.unverifiable_sales",
    "undisclosed_promotion": "claims.disclosure.brand_tag",
}
_RULE_OF_CLASS = {
    "health_function": "claims.efficacy.unapproved_function",
    "cosmetic_medical": "claims.efficacy.cosmetic_medical",
}
_HEALTH_FOOD = re.compile("保健食品|蓝帽|国食健|卫食健|食健备|health food|dietary supplement")
_COSMETIC = re.compile(
    "化妆品|美妆|护肤|彩妆|个护|面霜|精华|面膜|乳液|爽肤水|洗发|洗面奶|防晒|口红|粉底|"
    "cosmetic|skincare|skin care|beauty"
)
_FACT_CATEGORY = {"reference_price": "price_deception", "urgency": "false_scarcity"}
_RULE_OF_FACT = {
    "reference_price": "claims.price.unverifiable_reference",
    "urgency": "claims.scarcity.unverifiable_urgency",
}


_TESTIMONIAL_CHARS = re.compile("[斤磅病症癥炎癌瘤痛疮瘡糖压壓脂瘦肥胖痘斑疹]")
_TESTIMONIAL_EN = ("kg", "lb", "pound", "stone", "cancer", "diabet", "cure", "heal", "weight", "acne", "eczema", "pain")


def _may_testify(text: str) -> bool:
    """Whether a chat line names a weight or an illness (two C-speed searches; most lines fail the first)."""
    if _TESTIMONIAL_CHARS.search(text) is not None:
        return True
    if not text.isascii():
        return False
    lowered = text.lower()
    return any(word in lowered for word in _TESTIMONIAL_EN)


_COVERS_GIFTS = frozenset({"induced_tipping", "soft_porn", "fabricated_persona"})
_COVERED_BY_PACKS = frozenset({"efficacy_claim", "pseudo_science", "fabricated_persona", "impersonation"})


_FIELDS = frozenset(
    {"id", "title", "reads", "category", "severity", "confidence", "legal_basis", "message", "suggestion", "examples"}
)
_SCRIPTS = ("zh", "en")


@cache
def declared_rules() -> dict[str, dict[str, Any]]:
    """The detector's rules by id, as written in clearlive/watch/claims/rules.yaml (examples included)."""
    doc = load_yaml(RULES_FILE.read_text(encoding="utf-8"))
    return {r["id"]: r for r in doc["rules"]}


@cache
def claim_rules() -> dict[str, DetectorRule]:
    """The same rules as declarations; the legal basis has a case per script (zh, en)."""
    out: dict[str, DetectorRule] = {}
    for rule_id, raw in declared_rules().items():
        if set(raw) != _FIELDS:
            wrong = sorted(set(raw) ^ _FIELDS)
            raise RuleLoadError(str(RULES_FILE), rule_id, f"fields missing or unknown: {wrong}")
        basis = raw["legal_basis"]
        if not isinstance(basis, dict) or set(basis) != set(_SCRIPTS):
            raise RuleLoadError(str(RULES_FILE), rule_id, f"legal_basis needs a list per script {_SCRIPTS}")
        out[rule_id] = DetectorRule(
            id=rule_id,
            title=raw["title"],
            category=raw["category"],
            severity=raw["severity"],
            confidence=raw["confidence"],
            legal_basis=tuple(basis["zh"]),
            cases={script: Case(legal_basis=tuple(basis[script])) for script in _SCRIPTS},
            reads=raw["reads"],
            message=raw["message"],
            suggestion=raw["suggestion"],
            examples={kind: tuple(items) for kind, items in raw["examples"].items()},
        )
    return out


def _script(norm: NormalizedText) -> str:
    return "en" if is_latin(norm.text) else "zh"


class ClaimFrameDetector(TextDetector):
    id = "claims"
    event_types = frozenset({"utterance", "comment", "product", "session_start"})

    @classmethod
    def declared(cls) -> tuple[DetectorRule, ...]:
        return tuple(claim_rules().values())

    def __init__(self, analyzer: TextAnalyzer | None = None) -> None:
        self.analyzer = analyzer  # the view's rule matches say which incidents a pack already reports
        warm_up()  # build the vocabularies' automata now, not on the first event of a scan

    def observe_text(self, event: EventBase, room: RoomState, view: TextView) -> Iterable[Finding]:
        kind = event.__struct_config__.tag
        if kind == "comment":
            # Chat is most of a room's events: a viewer line is parsed only when it names a weight or
            # an illness (a C-speed character test), the only testimonials this detector reports.
            text = event.text  # type: ignore[attr-defined]
            if not _may_testify(text):
                return ()
        else:
            text = scannable_text(event)
            if not text or not text.strip():
                return ()
            if kind == "utterance" and speaker_act(event.speaker):  # type: ignore[attr-defined]
                return ()  # a platform's or moderator's notice makes no claim
        normalised = view.normalised
        roles = trigger_roles(normalised)
        if not roles:
            return ()
        covered = self._covered(view)
        out: list[Finding] = []
        if kind == "utterance":
            self._hold_fact_claims(event, room, normalised, roles, covered)
            out.extend(self._gift_requests(event, room, normalised, roles, covered))
            out.extend(self._speaker_claims(event, room, normalised, roles, covered))
            out.extend(self._class_claims(event, room, normalised, roles, covered))
        claims = parse_claims(normalised, roles)
        if not claims or any(k in q.lower() for q in room.qualifications for k in LICENSED):
            return out
        if kind == "comment":
            # A viewer's health testimonial is no claim of the host's: it is what planted reviews say.
            if claims[0].kind == "rate" or "fake_reviews" in covered:
                return out
            rule = claim_rules()["claims.reviews.testimonial_in_chat"]
            span = (claims[0].start, claims[0].end)
            return [*out, self._finding(rule, event, room, normalize(text), span, {"testimonial": claims[0].effect})]
        # A pack rule already names this incident: a health claim, or the persona or credential it serves.
        if covered & _COVERED_BY_PACKS:
            return out
        claim = claims[0]
        facts: dict[str, object] = {"target": claim.target, "effect": claim.effect, "kind": claim.kind}
        facts["strength"] = claim.strength
        if claim.quantity:
            facts["quantity"] = claim.quantity
        rule = claim_rules()[_RULE_OF_KIND[claim.kind]]
        out.append(self._finding(rule, event, room, normalize(text), (claim.start, claim.end), facts))
        return out

    def _covered(self, view: TextView) -> set[str]:
        """Categories a pack rule already reports on this event: matches that assert a problem (not
        info) and do not wait for a cue in other events (a coupled hit may never be released)."""
        return {
            m.rule.spec.category
            for m in view.matches
            if m.rule.spec.severity != "info" and m.rule.spec.coupled is None
        }

    def _gift_requests(
        self, event: EventBase, room: RoomState, normalised: str, roles: frozenset[str], covered: set[str]
    ) -> list[Finding]:
        spans = parse_gift_requests(normalised, roles)
        # Gifts traded for innuendo are soft porn, for a hardship story persona: the packs' finding covers them.
        if not spans or covered & _COVERS_GIFTS:
            return []
        norm = normalize(scannable_text(event) or "")
        rule = claim_rules()["claims.tipping.gift_request"]
        return [self._finding(rule, event, room, norm, s, {"gift_request": norm.text[s[0] : s[1]]}) for s in spans]

    def _speaker_claims(
        self, event: EventBase, room: RoomState, normalised: str, roles: frozenset[str], covered: set[str]
    ) -> list[Finding]:
        found = parse_speaker_claims(normalised, roles)
        if not found:
            return []
        norm = None
        out = []
        for kind, start, end in found:
            rule = claim_rules()[_RULE_OF_SPEAKER[kind]]
            if rule.category in covered or (kind == "credential" and room.qualifications):
                continue
            norm = norm or normalize(scannable_text(event) or "")
            out.append(self._finding(rule, event, room, norm, (start, end), {"claim": kind}))
        return out

    def _class_claims(
        self, event: EventBase, room: RoomState, normalised: str, roles: frozenset[str], covered: set[str]
    ) -> list[Finding]:
        """Health-food functions and cosmetics' medical terms, judged by the product's class in the
        room's listing (nothing without a listing: the approved wording is fine for a health food)."""
        product = listing(room).current
        if product is None or "efficacy_claim" in covered:
            return []
        found = parse_class_claims(normalised, roles)
        if not found:
            return []
        described = " ".join([product.category or "", product.title or "", *(product.qualifications or ())]).lower()
        qualified = " ".join(room.qualifications).lower()
        out = []
        for kind, start, end, term in found:
            if kind == "health_function" and (_HEALTH_FOOD.search(described) or _HEALTH_FOOD.search(qualified)):
                continue
            if kind == "health_function" and any(k in described or k in qualified for k in LICENSED):
                continue
            if kind == "cosmetic_medical" and not _COSMETIC.search(described):
                continue
            rule = claim_rules()[_RULE_OF_CLASS[kind]]
            facts: dict[str, object] = {"term": term, "listing_category": product.category, "sku": product.sku}
            out.append(self._finding(rule, event, room, normalize(scannable_text(event) or ""), (start, end), facts))
        return out

    def _hold_fact_claims(
        self, event: EventBase, room: RoomState, normalised: str, roles: frozenset[str], covered: set[str]
    ) -> None:
        """Reference prices and urgency wait for the end of the room (see the module docstring)."""
        found = [c for c in parse_fact_claims(normalised, roles) if _FACT_CATEGORY[c.kind] not in covered]
        if found:
            room.slots.setdefault(self.id, []).extend((claim, event) for claim in found)

    def finish(self, room: RoomState) -> Iterable[Finding]:
        pending: list[tuple[FactClaim, EventBase]] = room.slots.pop(self.id, [])
        if not pending:
            return ()
        product = listing(room).current
        has_prices = product is not None and (
            product.lowest_price_7d is not None or product.lowest_price_30d is not None
        )
        has_stock = product is not None and product.stock is not None
        out = []
        for claim, event in pending:
            if (claim.kind == "reference_price" and has_prices) or (claim.kind == "urgency" and has_stock):
                continue  # the fact detectors judge it against the listing
            norm = normalize(scannable_text(event) or "")
            facts = {"claim": claim.kind, "listing_seen": product is not None}
            rule = claim_rules()[_RULE_OF_FACT[claim.kind]]
            out.append(self._finding(rule, event, room, norm, (claim.start, claim.end), facts))
        return out

    def _finding(
        self,
        rule: DetectorRule,
        ev: EventBase,
        room: RoomState,
        norm: NormalizedText,
        span: tuple[int, int],
        facts: dict[str, object],
    ) -> Finding:
        return fact_finding(rule, case=_script(norm), ev=ev, room=room, norm=norm, span=span, facts=facts)
