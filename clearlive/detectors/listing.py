"""The room's product listings, and the finding shape shared by the claim-versus-facts detectors.

ListingTracker keeps the latest listing per SKU in the room state; the fact detectors read it and
quote the host's claim with `fact_finding`, mapping the normalised span back to the original text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from clearlive.detectors.base import Detector, RoomState
from clearlive.detectors.metric import detector_finding
from clearlive.legal import citation_table
from clearlive.model.events import EventBase, Product, Utterance
from clearlive.model.findings import Evidence, Finding, LegalBasis
from clearlive.normalize import NormalizedText

CONTEXT = 24


def basis(*ids: str) -> list[LegalBasis]:
    table = citation_table()
    return [table[i] for i in ids]


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
    *,
    rule_id: str,
    title: str,
    category: str,
    severity: str,
    confidence: float,
    ev: EventBase,
    room: RoomState,
    norm: NormalizedText,
    span: tuple[int, int],
    message: str,
    suggestion: str,
    basis: list[LegalBasis],
    facts: dict[str, object],
    extra_events: Iterable[str] = (),
) -> Finding:
    """A finding quoting a claim (normalised span mapped back to the original) with its facts."""
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
        matched=rule_id,
    )
    return detector_finding(
        rule_id=rule_id,
        title=title,
        category=category,
        severity=severity,
        confidence=confidence,
        ev=ev,
        room=room,
        ts_ms=ev.ts,
        fingerprint=ev.id or "",
        evidence=evidence,
        event_ids=[ev.id or "", *extra_events],
        basis=basis,
        message=message,
        suggestion=suggestion,
        facts=facts,
    )


class ListingTracker(Detector):
    """Keeps the latest product listing per room for the fact detectors (emits nothing)."""

    id = "listing"
    event_types = frozenset({"product"})

    def observe(self, event: EventBase, room: RoomState) -> Iterable[Finding]:
        listing(room).update(event)  # type: ignore[arg-type]
        return ()


@dataclass
class PendingClaim:
    """A host claim waiting for (or judged against) the listing."""

    ev: Utterance
    norm: NormalizedText
    span: tuple[int, int]
    value: float
