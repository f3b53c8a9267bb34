"""The room's product listings, and the finding shape shared by the claim-versus-facts detectors.

ListingTracker keeps the latest listing per SKU in the room state; the fact detectors read it and
quote the host's claim with `fact_finding`, mapping the normalised span back to the original text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from clearlive.model.events import EventBase, Product, Utterance
from clearlive.model.findings import Evidence, Finding, LegalBasis
from clearlive.watch.detectors.base import Detector, RoomState
from clearlive.watch.detectors.declared import DetectorRule
from clearlive.watch.detectors.metric import detector_finding, event_ms
from clearlive.watch.normalize import NormalizedText

CONTEXT = 24


@dataclass
class Listing:
    """What the room's product events said, latest first wins."""

    products: dict[str, Product] = field(default_factory=dict)
    last_sku: str | None = None

    def update(self, ev: Product) -> None:
        self.products[ev.sku] = ev
        self.last_sku = ev.sku

    @property
    def current(self) -> Product | None:
        return self.products.get(self.last_sku) if self.last_sku else None


def listing(room: RoomState) -> Listing:
    state = room.slots.get("listing")
    if state is None:
        state = room.slots["listing"] = Listing()
    return state


def fact_finding(
    rule: DetectorRule,
    *,
    ev: EventBase,
    room: RoomState,
    norm: NormalizedText,
    span: tuple[int, int],
    facts: dict[str, object],
    message: str | None = None,
    case: str | None = None,
    severity: str | None = None,
    confidence: float | None = None,
    basis: list[LegalBasis] | None = None,
    extra_events: Iterable[str] = (),
) -> Finding:
    """A finding of a declared rule quoting a claim (normalised span mapped back to the original)
    with its facts. Title, category, severity, legal basis, suggestion (and message, when the rule
    fixes one) are the rule's or its `case`'s; a finding whose strength sets its severity passes
    one of the rule's declared `severities`; a classifier passes its probability as `confidence`,
    and the pack rules' `basis` when the rule takes its basis from the packs."""
    if basis is not None and not rule.takes_pack_basis(case):
        raise ValueError(f"rule {rule.id} declares its legal basis; a finding cannot bring another")
    original = norm.original
    start, end = norm.span(*span)
    lo, hi = max(0, start - CONTEXT), min(len(original), end + CONTEXT)
    quote_norm = norm.text[span[0] : span[1]]
    evidence = Evidence(
        text=original[start:end],
        start=start,
        end=end,
        context=original[lo:hi],
        field="text",
        normalized=quote_norm,
        matched=rule.id,
    )
    return detector_finding(
        rule_id=rule.id,
        title=rule.title_of(case),
        category=rule.category_of(case),
        severity=rule.severity_of(case, severity),
        confidence=rule.confidence_of(case) if confidence is None else confidence,
        ev=ev,
        room=room,
        ts_ms=event_ms(ev),
        fingerprint=ev.id or "",
        evidence=evidence,
        event_ids=[ev.id or "", *extra_events],
        basis=rule.basis(case) if basis is None else basis,
        message=rule.message if message is None else message,
        suggestion=rule.suggestion,
        facts=facts,
    )


class ListingTracker(Detector):
    """Keeps the latest product listing per room for the fact detectors (emits nothing)."""

    id = "listing"
    event_types = frozenset({"product"})

    def observe(self, event: EventBase, room: RoomState) -> Iterable[Finding]:
        assert isinstance(event, Product)
        listing(room).update(event)
        return ()


@dataclass
class PendingClaim:
    """A host claim waiting for (or judged against) the listing."""

    ev: Utterance
    norm: NormalizedText
    span: tuple[int, int]
    value: float
