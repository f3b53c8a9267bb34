"""The one lifecycle of every runtime: when a room ends, when cross-room detectors judge, and whose
finding an id names.

Everything here runs on event time, never on the wall clock, so that `clearlive scan`, the embedded
service, the Redis workers and Spark, fed the same events in the same order, end the same rooms at
the same events and report the same finding ids.

- **A room ends** at its `session_end`, at a `session_start` of another session, when its next
  event comes more than IDLE_MS after its latest one, or when the tenant's clock (the latest event
  time seen) has moved IDLE_MS past the room's latest event (checked every SWEEP_MS of event time).
  Ending judges what waited for the end (`Detector.finish`: claims made before the listing came) and
  drops the room's state.
- **Cross-room detectors** that judge a whole graph (they keep state across rooms and override
  `finish_all`: FRAUDAR, lockstep accounts) run per tenant over sliding windows of WINDOW_MS that
  start every SLIDE_MS: each window has its own fresh instances, fed the events of its span, and
  judges when the tenant's clock passes its end. Any pattern shorter than SLIDE_MS lies wholly in
  some window. The same finding from two overlapping windows has the same id and is reported once.
- **Population detectors** (no cross-room state, but a `finish_all`: rooms whose audience does
  nothing against the median room) judge, at each window's close, the rooms of that window that
  have ended, so that each is judged on its final state.
- **Finding ids** are scoped: `scoped_id(tenant, room, id)` wraps the detector's own id (rule,
  event(s) and quote), so an id names its tenant and room by construction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from clearlive.watch.detectors.base import Detector

IDLE_MS = 60 * 60_000  # an hour without an event ends a room (longer than any per-room window: brushing's hour)
SWEEP_MS = 60_000  # how often (in event time) idle rooms and closed windows are looked for
SLIDE_MS = 6 * 3_600_000
WINDOW_MS = 2 * SLIDE_MS
DEFAULT_TENANT = "default"  # `clearlive scan`'s tenant, and the tenant `clearlive serve` loads the demo into
REPORTED_IDS = 100_000  # window findings remembered to report each once (overlapping windows repeat them)
PARTS = ("all", "rooms", "cross")


def scoped_id(tenant: str, room_id: str, local_id: str) -> str:
    """The id a finding is stored and reviewed under: its detector's id (rule, event(s), quote) in its
    tenant and room, so two rooms or two tenants can never share one."""
    key = "\x1f".join((tenant, room_id, local_id))
    return "f_" + hashlib.blake2b(key.encode("utf-8"), digest_size=10).hexdigest()  # the shape of every finding id


def _overrides(det: Detector, name: str) -> bool:
    return getattr(type(det), name) is not getattr(Detector, name)


def is_windowed(det: Detector) -> bool:
    """Keeps state across rooms and judges it all at once: runs per window."""
    return bool(det.state_attrs) and _overrides(det, "finish_all")


def is_cross_stream(det: Detector) -> bool:
    """Keeps state across rooms and judges as events come (fan raids): one instance per tenant."""
    return bool(det.state_attrs) and not _overrides(det, "finish_all")


def is_population(det: Detector) -> bool:
    """Per-room state, judged against the other rooms when a window closes."""
    return not det.state_attrs and _overrides(det, "finish_all")


def window_starts(ts: int) -> tuple[int, int]:
    """The starts of the two windows holding `ts`."""
    k = ts // SLIDE_MS
    return ((k - 1) * SLIDE_MS, k * SLIDE_MS)


@dataclass
class CrossWindow:
    """One window of a tenant's events: its own instances of the windowed detectors, and the rooms
    that had events in it."""

    start: int
    detectors: list[Detector]
    rooms: set[str] = field(default_factory=set)

    @property
    def end(self) -> int:
        return self.start + WINDOW_MS


def split(detectors: Iterable[Detector]) -> tuple[list[Detector], list[Detector], list[Detector]]:
    """(per-room detectors, cross-room streaming detectors, windowed detectors)."""
    dets = list(detectors)
    return (
        [d for d in dets if not d.state_attrs],
        [d for d in dets if is_cross_stream(d)],
        [d for d in dets if is_windowed(d)],
    )
