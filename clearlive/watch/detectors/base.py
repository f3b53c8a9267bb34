"""The detector contract and the per-room state detectors share.

A detector has an id, says which event types it reads, and turns events of one room into
findings. Per-room state lives in the `RoomState` the pipeline hands it, so the same code runs
in-process, in service workers and inside Spark without knowing where it is.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from clearlive.model.events import EventBase
from clearlive.model.findings import Finding

if TYPE_CHECKING:
    from clearlive.watch.detectors.declared import DetectorRule

_INTERACTIONS = frozenset({"comment", "follow", "gift", "share"})


@dataclass
class RoomState:
    """What the pipeline knows about one room so far; detectors keep their own state in `slots`."""

    room_id: str
    session_id: str | None = None
    anchor_id: str | None = None
    shop_id: str | None = None
    title: str | None = None
    first_ts: int | None = None
    qualifications: set[str] = field(default_factory=set)  # from session_start and product events
    interactions: int = 0  # comments, follows, gifts and shares: what a real audience does
    slots: dict[str, Any] = field(default_factory=dict)

    def update(self, ev: EventBase) -> None:
        if self.first_ts is None or ev.ts < self.first_ts:
            self.first_ts = ev.ts
        if ev.session_id:
            self.session_id = ev.session_id
        if ev.anchor_id:
            self.anchor_id = ev.anchor_id
        if ev.shop_id:
            self.shop_id = ev.shop_id
        kind = ev.__struct_config__.tag
        if kind in _INTERACTIONS:
            self.interactions += 1
        elif kind == "session_start":
            self.title = getattr(ev, "title", None) or self.title
            self.qualifications = set(getattr(ev, "qualifications", None) or ())
        elif kind == "product" and getattr(ev, "qualifications", None):
            self.qualifications.update(ev.qualifications)  # type: ignore[attr-defined]


class Detector(ABC):
    id: str
    event_types: frozenset[str]
    # Every rule id its findings can carry, declared as data (clearlive/watch/detectors/declared.py) and
    # checked when the scanner is built. The text-rule detector's rules are the packs' instead.
    RULES: ClassVar[tuple[DetectorRule, ...]] = ()
    # Attributes holding state across rooms (most detectors keep theirs in RoomState.slots): what a
    # checkpoint must save beside the rooms so that a restarted worker resumes where it was.
    state_attrs: tuple[str, ...] = ()

    @classmethod
    def declared(cls) -> tuple[DetectorRule, ...]:
        """The rules this detector declares (a detector reading them from a file overrides this)."""
        return cls.RULES

    @abstractmethod
    def observe(self, event: EventBase, room: RoomState) -> Iterable[Finding]:
        """Findings this event gives, given what the room has seen before."""

    def finish(self, room: RoomState) -> Iterable[Finding]:
        """Findings that need the whole room (cross-event detectors override this)."""
        return ()

    def finish_all(self, rooms: dict[str, RoomState]) -> Iterable[Finding]:
        """Findings that need every room at once (graph detectors over all shops override this)."""
        return ()
