"""The scan pipeline: events -> per-room state -> detectors -> findings (and summaries).

`Scanner` is the pure, in-process core: it holds per-room state and the detectors, and knows
nothing about files, databases or where it runs. `scan()` wires readers, the scanner and an
optional store together for the CLI and library users.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clearlive.detectors import Detector, RoomState, TextRuleDetector
from clearlive.detectors.botchat import TemplatedChatDetector
from clearlive.detectors.brushing import OrderBrushingDetector
from clearlive.detectors.claims import ClaimFrameDetector
from clearlive.detectors.facts import FACT_DETECTORS
from clearlive.detectors.fraudar import FraudarDetector
from clearlive.detectors.likes import LikeFarmDetector
from clearlive.detectors.lockstep import LockstepDetector
from clearlive.detectors.raids import FanRaidDetector
from clearlive.detectors.viewers import ViewerCurveDetector
from clearlive.model.events import EventBase, event_type
from clearlive.model.findings import Finding
from clearlive.pipeline.sessions import SessionSummary, SessionTracker
from clearlive.rules import RuleSet, load_rules
from clearlive.sources import InputOptions, ReadStats, Reject, read_inputs

CLAIMS_MODEL = Path(__file__).parents[1] / "classifiers" / "claims-model.npz"  # built by `make model`
_NOTHING: list[Finding] = []  # shared empty result; never mutated


@dataclass(frozen=True, slots=True)
class ScanConfig:
    """Scan options; the CLI's flags map onto these fields one-to-one."""

    rules: tuple[Path, ...] = ()  # extra rule packs (files or folders)
    builtin_rules: bool = True
    model: Path | None = None  # a trained abuse model (clearlive train abuse) to run beside the rules
    claims_model: Path | None = CLAIMS_MODEL  # the category classifier after the rules; None turns it off
    encoder_model: Path | None = None  # opt-in sentence-encoder model (clearlive train encoder; needs [encoder])
    inputs: InputOptions = field(default_factory=InputOptions)


def build_ruleset(config: ScanConfig) -> RuleSet:
    _, rules = load_rules(list(config.rules), builtin=config.builtin_rules)
    return RuleSet(rules)


class Scanner:
    """Feeds events to detectors with per-room state; the same object serves any runtime."""

    def __init__(self, detectors: list[Detector]) -> None:
        self.detectors = detectors
        self.rooms: dict[str, RoomState] = {}
        self.sessions = SessionTracker()
        self._by_type: dict[str, list[Detector]] = {}

    @classmethod
    def from_config(cls, config: ScanConfig) -> Scanner:
        """The text rules, the detectors that check claims against the room's listing, the fraud
        detectors, the claims classifier (unless turned off) and the abuse classifier when a model
        is given."""
        text = TextRuleDetector(build_ruleset(config))
        detectors: list[Detector] = [
            text,
            *(d() for d in FACT_DETECTORS),
            ClaimFrameDetector(text),
            OrderBrushingDetector(),
            FraudarDetector(),
            ViewerCurveDetector(),
            LikeFarmDetector(),
            TemplatedChatDetector(text),
            FanRaidDetector(text),
            LockstepDetector(),
        ]
        if config.claims_model is not None:
            from clearlive.classifiers.claims import ClaimsModel  # scikit-learn loads only when asked for
            from clearlive.detectors.model_claims import ClaimsModelDetector

            detectors.append(ClaimsModelDetector(ClaimsModel.load(config.claims_model), text))
        if config.model is not None:
            from clearlive.classifiers.abuse import AbuseModel  # scikit-learn loads only when asked for
            from clearlive.detectors.model_abuse import ModelAbuseDetector

            detectors.append(ModelAbuseDetector(AbuseModel.load(config.model), text))
        if config.encoder_model is not None:
            from clearlive.classifiers.encoder import EncoderModel  # the encoder loads only when asked for
            from clearlive.detectors.model_encoder import EncoderModelDetector

            detectors.append(EncoderModelDetector(EncoderModel.load(config.encoder_model), text))
        return cls(detectors)

    def _detectors_for(self, kind: str) -> list[Detector]:
        found = self._by_type.get(kind)
        if found is None:
            found = self._by_type[kind] = [d for d in self.detectors if kind in d.event_types]
        return found

    def process(self, ev: EventBase) -> list[Finding]:
        room = self.rooms.get(ev.room_id)
        if room is None:
            room = self.rooms[ev.room_id] = RoomState(ev.room_id)
        room.update(ev)
        # Chat and stats lines rarely repeat the session and host; they belong to the room's
        # current broadcast, so fill them in from the room state.
        if ev.session_id is None:
            ev.session_id = room.session_id
        if ev.anchor_id is None:
            ev.anchor_id = room.anchor_id
        self.sessions.observe(ev)
        detectors = self._by_type.get(ev.__struct_config__.tag) or self._detectors_for(event_type(ev))
        if len(detectors) == 1:  # the common case: no list to build when nothing is found
            out = detectors[0].observe(ev, room)
            if not out:
                return _NOTHING
            out = list(out)
        else:
            out = [f for det in detectors for f in det.observe(ev, room)]
        for f in out:
            self.sessions.add_finding(f)
        return out

    def state(self) -> dict[str, Any]:
        """Everything the scanner has learned, for a checkpoint (rooms, sessions, cross-room detector
        state). Pickle it in one piece: detectors' state refers to the same RoomState objects."""
        return {
            "rooms": self.rooms,
            "sessions": self.sessions,
            "detectors": {d.id: {a: getattr(d, a) for a in d.state_attrs} for d in self.detectors if d.state_attrs},
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.rooms = state["rooms"]
        self.sessions = state["sessions"]
        for d in self.detectors:
            for attr, value in state["detectors"].get(d.id, {}).items():
                setattr(d, attr, value)

    def finish(self) -> list[Finding]:
        out: list[Finding] = []
        for room_id in sorted(self.rooms):
            for det in self.detectors:
                out.extend(det.finish(self.rooms[room_id]))
        for det in self.detectors:
            out.extend(det.finish_all(self.rooms))
        for f in out:
            self.sessions.add_finding(f)
        return out

    def run(
        self, events: Iterable[EventBase], on_event: Callable[[EventBase], None] | None = None
    ) -> Iterator[Finding]:
        for ev in events:
            found = self.process(ev)
            if on_event is not None:
                on_event(ev)  # after process(): the event now carries its room's session and host
            yield from found
        yield from self.finish()


@dataclass
class ScanResult:
    findings: list[Finding]
    sessions: list[SessionSummary]
    stats: ReadStats
    rejects: list[Reject]


def scan(
    paths: list[str],
    config: ScanConfig | None = None,
    on_reject: Callable[[Reject], None] | None = None,
    on_event: Callable[[EventBase], None] | None = None,
) -> ScanResult:
    """Scan input files and return every finding; the library twin of `clearlive scan`."""
    config = config or ScanConfig()
    scanner = Scanner.from_config(config)
    stats = ReadStats()
    rejects: list[Reject] = []

    def reject(r: Reject) -> None:
        rejects.append(r)
        if on_reject is not None:
            on_reject(r)

    findings = list(scanner.run(read_inputs(paths, config.inputs, reject, stats), on_event))
    return ScanResult(findings, scanner.sessions.summaries(), stats, rejects)
