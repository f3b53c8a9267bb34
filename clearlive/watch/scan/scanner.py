"""The scan pipeline: events -> per-room state -> detectors -> findings (and summaries).

`Scanner` is the pure, in-process core: it holds per-room state and the detectors, and knows
nothing about files, databases or where it runs. `scan()` wires readers, the scanner and an
optional store together for the CLI and library users.
"""

from __future__ import annotations

import pickle
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from clearlive.model.events import EventBase, event_type
from clearlive.model.findings import Finding
from clearlive.watch.detectors import Detector, RoomState, TextRuleDetector
from clearlive.watch.detectors.botchat import TemplatedChatDetector
from clearlive.watch.detectors.brushing import OrderBrushingDetector
from clearlive.watch.detectors.claims import ClaimFrameDetector
from clearlive.watch.detectors.declared import check_detectors
from clearlive.watch.detectors.facts import fact_detectors
from clearlive.watch.detectors.fraudar import FraudarDetector
from clearlive.watch.detectors.likes import LikeFarmDetector
from clearlive.watch.detectors.lockstep import LockstepDetector
from clearlive.watch.detectors.raids import FanRaidDetector
from clearlive.watch.detectors.speech import mark_speech_findings
from clearlive.watch.detectors.textview import TextAnalyzer, TextDetector, TextView
from clearlive.watch.detectors.thresholds import Thresholds
from clearlive.watch.detectors.viewers import ViewerCurveDetector
from clearlive.watch.rules import RuleSet, load_rules
from clearlive.watch.scan.lifecycle import (
    DEFAULT_TENANT,
    IDLE_MS,
    PARTS,
    REPORTED_IDS,
    SWEEP_MS,
    WINDOW_MS,
    CrossWindow,
    is_population,
    scoped_id,
    split,
    window_starts,
)
from clearlive.watch.scan.sessions import SessionSummary, SessionTracker
from clearlive.watch.sources import InputOptions, ReadStats, Reject, read_inputs

TEXT_BATCH = 256  # events whose texts `Scanner.run(batch=TEXT_BATCH)` pre-filters together
CLAIMS_MODEL = Path(__file__).parents[1] / "classifiers" / "claims-model.npz"  # built by `make model`
VERIFIER_MODEL = Path(__file__).parents[1] / "classifiers" / "verifier-model.npz"  # built by `make model`
_NOTHING: list[Finding] = []  # shared empty result; never mutated


# What the scanner calls for one detector and one event type: its observe (or, for a text detector,
# observe_text, given the event's shared TextView), whether its findings are reported, and the
# analyzer that makes the view (None for detectors that do not read text).
_Step = tuple[Callable[..., Iterable[Finding]], bool, "TextAnalyzer | None"]


@dataclass(frozen=True, slots=True)
class ScanConfig:
    """Scan options; the CLI's flags map onto these fields one-to-one."""

    rules: tuple[Path, ...] = ()  # extra rule packs (files or folders)
    builtin_rules: bool = True
    model: Path | None = None  # a trained abuse model (clearlive train abuse) to run beside the rules
    claims_model: Path | None = CLAIMS_MODEL  # the category classifier after the rules; None turns it off
    encoder_model: Path | None = None  # opt-in sentence-encoder model (clearlive train encoder; needs [encoder])
    verifier_model: Path | None = VERIFIER_MODEL  # lowers word matches on sentences that read compliant; None: off
    tenant: str = DEFAULT_TENANT  # named in every finding id (the service names each tenant's own)
    thresholds: Thresholds = field(default_factory=Thresholds)  # the behaviour detectors' (shipped defaults)
    inputs: InputOptions = field(default_factory=InputOptions)


def build_ruleset(config: ScanConfig) -> RuleSet:
    _, rules = load_rules(list(config.rules), builtin=config.builtin_rules)
    return RuleSet(rules)


class Scanner:
    """Feeds one tenant's events to detectors with per-room state, and owns the lifecycle
    (`clearlive.watch.scan.lifecycle`): it ends rooms, runs the cross-room detectors over sliding
    windows and scopes finding ids to the tenant and room. The same object serves any runtime; a
    runtime only feeds events in order and collects what comes out.

    `part` splits the work for runtimes that spread a tenant's rooms over workers: "rooms" runs the
    per-room detectors only, "cross" the cross-room ones only (over all of the tenant's events);
    the two together report exactly what "all" (one scanner for everything) reports."""

    def __init__(self, detectors: list[Detector], tenant: str = DEFAULT_TENANT, part: str = "all") -> None:
        if part not in PARTS:
            raise ValueError(f"part must be one of {', '.join(PARTS)}, not {part!r}")
        check_detectors(detectors)  # every declared rule, before any event: a bad citation fails here
        self.detectors = detectors
        self.tenant = tenant
        self.part = part
        per_room, cross_stream, windowed = split(detectors)
        self.population = [d for d in per_room if is_population(d)] if part != "rooms" else []
        self.windowed = windowed if part != "rooms" else []
        # (detector, whether its findings are reported): in "cross" the population detectors observe
        # only to build the room state they judge; their per-event findings are the rooms part's.
        if part == "all":
            self.observers = [(d, True) for d in (*per_room, *cross_stream)]
        elif part == "rooms":
            self.observers = [(d, True) for d in per_room]
        else:
            self.observers = [(d, True) for d in cross_stream] + [(d, False) for d in self.population]
        self.finishers = per_room if part != "cross" else []
        self._blank = {d.id: pickle.dumps(d, protocol=pickle.HIGHEST_PROTOCOL) for d in self.windowed}
        self._windowed_kinds = frozenset(k for d in self.windowed for k in d.event_types)
        self.rooms: dict[str, RoomState] = {}
        # Rooms touched since the last checkpoint (id -> room), kept only where checkpoints are made
        # (`track_changes`): a checkpoint pickles those again and copies the others' bytes.
        self.changed: dict[int, RoomState] | None = None
        self.sessions = SessionTracker()
        self.clock = Lifecycle()
        self._by_type: dict[str, list[_Step]] = {}
        # The analyzer every text detector shares (None when they do not share one): `run` makes
        # its views of many events at once.
        analyzers = {id(d.text_analyzer()): d.text_analyzer() for d, _ in self.observers if isinstance(d, TextDetector)}
        self.analyzer = next(iter(analyzers.values())) if len(analyzers) == 1 else None

    @classmethod
    def from_config(cls, config: ScanConfig, tenant: str | None = None, part: str = "all") -> Scanner:
        """The text rules, the detectors that check claims against the room's listing, the fraud
        detectors, the claims classifier (unless turned off) and the abuse classifier when a model
        is given."""
        text = TextRuleDetector(build_ruleset(config), verifier=config.verifier_model)
        analyzer = text.analyzer  # one view of each event's text, shared by every text detector
        detectors: list[Detector] = [
            text,
            *fact_detectors(config.thresholds.facts),
            ClaimFrameDetector(analyzer),
            OrderBrushingDetector(config.thresholds.brushing),
            FraudarDetector(config.thresholds.fraudar),
            ViewerCurveDetector(config.thresholds.viewers),
            LikeFarmDetector(config.thresholds.likes),
            TemplatedChatDetector(analyzer, config.thresholds.chat),
            FanRaidDetector(analyzer, config.thresholds.raids),
            LockstepDetector(config.thresholds.lockstep),
        ]
        if config.claims_model is not None:
            from clearlive.watch.classifiers.claims import ClaimsModel  # scikit-learn loads only when asked for
            from clearlive.watch.detectors.model_claims import ClaimsModelDetector

            detectors.append(ClaimsModelDetector(ClaimsModel.load(config.claims_model), analyzer))
        if config.model is not None:
            from clearlive.watch.classifiers.abuse import AbuseModel  # scikit-learn loads only when asked for
            from clearlive.watch.detectors.model_abuse import ModelAbuseDetector

            detectors.append(ModelAbuseDetector(AbuseModel.load(config.model), analyzer))
        if config.encoder_model is not None:
            from clearlive.watch.classifiers.encoder import EncoderModel  # the encoder loads only when asked for
            from clearlive.watch.detectors.model_encoder import EncoderModelDetector

            detectors.append(EncoderModelDetector(EncoderModel.load(config.encoder_model), analyzer))
        return cls(detectors, tenant if tenant is not None else config.tenant, part)

    def _detectors_for(self, kind: str) -> list[_Step]:
        found = self._by_type.get(kind)
        if found is None:
            found = self._by_type[kind] = [
                (d.observe_checked, emit, d.text_analyzer()) if isinstance(d, TextDetector) else (d.observe, emit, None)
                for d, emit in self.observers
                if kind in d.event_types
            ]
        return found

    def process(self, ev: EventBase, marks: list[int] | None = None, text: TextView | None = None) -> list[Finding]:
        """The findings of one event. With `marks`, the number of findings made so far is appended
        after each step (the room's end before the event, the detectors, the end at `session_end`;
        the rest is the sweep), so that a sharded scan can merge its parts' findings in the order
        one scanner gives them (`clearlive.watch.scan.shards`). `text` is the event's view made ahead
        by `self.analyzer` (`run` makes them in batches), else it is made here."""
        ts: int = ev.ts
        clock = self.clock
        out: list[Finding] = []
        room = self.rooms.get(ev.room_id)
        kind: str = ev.__struct_config__.tag  # type: ignore[assignment]  # every event type has a string tag
        if room is not None and (
            ts - clock.room_last[ev.room_id] > IDLE_MS
            or (kind == "session_start" and ev.session_id and room.session_id and ev.session_id != room.session_id)
        ):
            out.extend(self._end_room(room))  # the room's broadcast is over: this event starts the next
            room = None
        if room is None:
            room = self.rooms[ev.room_id] = RoomState(ev.room_id)
            clock.room_last[ev.room_id] = ts
        elif ts > clock.room_last[ev.room_id]:
            clock.room_last[ev.room_id] = ts
        if marks is not None:
            marks.append(len(out))
        if self.changed is not None:
            self.changed[id(room)] = room
        room.update(ev)
        # Chat and stats lines rarely repeat the session and host; they belong to the room's
        # current broadcast, so fill them in from the room state.
        if ev.session_id is None:
            ev.session_id = room.session_id
        if ev.anchor_id is None:
            ev.anchor_id = room.anchor_id
        self.sessions.observe(ev)
        detectors = self._by_type.get(kind) or self._detectors_for(event_type(ev))
        # The shared text work (normalisation, rule matches) is made once per event and handed to
        # every detector that reads text: no detector depends on another having run first.
        view = text
        view_by = self.analyzer if text is not None else None
        for observe, emit, analyzer in detectors:
            if analyzer is None:
                found = observe(ev, room)
            else:
                if analyzer is not view_by:
                    view, view_by = analyzer.view(ev), analyzer
                found = observe(ev, room, view)
            if found and emit:
                out.extend(found)
        if out and kind == "utterance":
            mark_speech_findings(out, ev)  # findings on speech-recognition transcripts say so
        if marks is not None:
            marks.append(len(out))
        if self.windowed or self.population:
            self._window_observe(ev, room, ts, kind)
        if kind == "session_end":
            out.extend(self._end_room(room))
        if marks is not None:
            marks.append(len(out))
        if clock.watermark is None or ts > clock.watermark:
            clock.watermark = ts
            if ts >= clock.next_sweep:
                clock.next_sweep = ts - ts % SWEEP_MS + SWEEP_MS
                out.extend(self._sweep(ts))
        if not out:
            return _NOTHING
        return self._scoped(out)

    def advance(self, ts: int) -> list[Finding]:
        """The tenant's clock reached `ts` with an event this scanner does not see (another room's,
        where a runtime spreads a tenant's rooms over several "rooms" scanners: Spark's buckets, the
        shards of `clearlive scan --jobs`): what `process`
        does with the clock after an event, without the event. Rooms that the tenant's clock has
        left idle for IDLE_MS end, so a room whose feed just stops ends at the same event in every
        runtime."""
        clock = self.clock
        if clock.watermark is not None and ts <= clock.watermark:
            return _NOTHING
        clock.watermark = ts
        if ts < clock.next_sweep:
            return _NOTHING
        clock.next_sweep = ts - ts % SWEEP_MS + SWEEP_MS
        out = self._sweep(ts)
        return self._scoped(out) if out else _NOTHING

    def _window_observe(self, ev: EventBase, room: RoomState, ts: int, kind: str) -> None:
        clock = self.clock
        observed = kind in self._windowed_kinds  # most events (chat) only mark their room in the window
        for start in window_starts(ts):
            if clock.watermark is not None and start + WINDOW_MS <= clock.watermark:
                continue  # closed (or would close at once): a late event counts in the later window only
            w = clock.windows.get(start)
            if w is None:
                w = clock.windows[start] = CrossWindow(start, [pickle.loads(b) for b in self._blank.values()])
            w.rooms.add(ev.room_id)
            if observed:
                for det in w.detectors:
                    if kind in det.event_types:
                        det.observe(ev, room)  # windowed detectors judge at the window's close

    def _end_room(self, room: RoomState) -> list[Finding]:
        """Judge what waited for the room's end, then drop its state (the windows still holding the
        room keep what the population detectors judge, and its session and host)."""
        if self.changed is not None:
            self.changed[id(room)] = room
        out = [f for det in self.finishers for f in det.finish(room)]
        del self.rooms[room.room_id]
        del self.clock.room_last[room.room_id]
        if any(room.room_id in w.rooms for w in self.clock.windows.values()):
            keep = {d.id for d in self.population}
            room.slots = {k: v for k, v in room.slots.items() if k in keep}
            self.clock.ended[room.room_id] = room
        return out

    def _sweep(self, now: int) -> list[Finding]:
        """Rooms idle for IDLE_MS end; windows the clock has passed judge."""
        clock = self.clock
        out: list[Finding] = []
        for room_id in sorted(r for r, last in clock.room_last.items() if now - last > IDLE_MS):
            out.extend(self._end_room(self.rooms[room_id]))
        for start in sorted(s for s, w in clock.windows.items() if w.end <= now):
            out.extend(self._close(start))
        return out

    def _close(self, start: int) -> list[Finding]:
        clock = self.clock
        w = clock.windows.pop(start)
        rooms = {r: clock.ended.get(r) or self.rooms.get(r) or RoomState(r) for r in sorted(w.rooms)}
        ended = {r: clock.ended[r] for r in sorted(w.rooms) if r in clock.ended}
        if self.changed is not None:  # the windows' detectors may write to the rooms they judge
            self.changed.update((id(r), r) for r in rooms.values())
        found = [f for det in w.detectors for f in det.finish_all(rooms)]
        found += [f for det in self.population for f in det.finish_all(ended)]
        still = {r for x in clock.windows.values() for r in x.rooms}
        clock.ended = {r: s for r, s in clock.ended.items() if r in still}
        out = []
        for f in found:  # overlapping windows find the same thing: report it once
            key = f"{f.room_id}\x1f{f.id}"
            if key in clock.reported:
                continue
            clock.reported[key] = None
            if len(clock.reported) > REPORTED_IDS:
                clock.reported.popitem(last=False)
            out.append(f)
        return out

    def _scoped(self, found: list[Finding]) -> list[Finding]:
        for f in found:
            f.id = scoped_id(self.tenant, f.room_id, f.id)
            self.sessions.add_finding(f)
        return found

    def state(self) -> dict[str, Any]:
        """Everything the scanner has learned, for a checkpoint (rooms, sessions, the lifecycle's
        clock and windows, cross-room detector state). Pickle it in one piece: detectors' state
        refers to the same RoomState objects."""
        return {
            "rooms": self.rooms,
            "sessions": self.sessions,
            "clock": self.clock,
            "detectors": {d.id: {a: getattr(d, a) for a in d.state_attrs} for d in self.detectors if d.state_attrs},
        }

    def track_changes(self) -> dict[int, RoomState]:
        """The rooms touched since the last call (all of them the first time), and track from now on."""
        if self.changed is None:
            self.changed = {}
            return {id(r): r for r in [*self.rooms.values(), *self.clock.ended.values()]}
        changed, self.changed = self.changed, {}
        return changed

    def restore(self, state: dict[str, Any]) -> None:
        self.rooms = state["rooms"]
        self.sessions = state["sessions"]
        self.clock = state.get("clock") or Lifecycle()  # a checkpoint from before the lifecycle has none
        for d in self.detectors:
            for attr, value in state["detectors"].get(d.id, {}).items():
                setattr(d, attr, value)

    def finish(self) -> list[Finding]:
        """End of input: every room ends and every window judges."""
        out: list[Finding] = []
        for room_id in sorted(self.rooms):
            out.extend(self._end_room(self.rooms[room_id]))
        for start in sorted(self.clock.windows):
            out.extend(self._close(start))
        return self._scoped(out)

    def run(
        self,
        events: Iterable[EventBase],
        on_event: Callable[[EventBase], None] | None = None,
        batch: int = 1,
    ) -> Iterator[Finding]:
        """Every finding of `events`, then of the end of input. With `batch` > 1 (TEXT_BATCH) the
        texts of that many events are pre-filtered together, read ahead: the same findings, but
        measured slower than one at a time on the bench workload (docs/performance.md), so off by
        default."""
        analyzer = self.analyzer
        if analyzer is None or batch <= 1:
            for ev in events:
                found = self.process(ev)
                if on_event is not None:
                    on_event(ev)  # after process(): the event now carries its room's session and host
                yield from found
        else:
            # The fast path: texts are pre-filtered TEXT_BATCH at a time (a view depends on its event
            # alone, so making it ahead changes nothing); the events are processed one by one, in order.
            it = iter(events)
            while chunk := list(islice(it, batch)):
                for ev, view in zip(chunk, analyzer.views(chunk), strict=True):
                    found = self.process(ev, None, view)
                    if on_event is not None:
                        on_event(ev)
                    yield from found
        yield from self.finish()


@dataclass
class Lifecycle:
    """The lifecycle's own state: the tenant's clock, each room's latest event time, the open
    windows, the ended rooms they still hold, and the window findings already reported."""

    watermark: int | None = None  # the latest event time seen
    next_sweep: int = 0
    room_last: dict[str, int] = field(default_factory=dict)
    windows: dict[int, CrossWindow] = field(default_factory=dict)
    ended: dict[str, RoomState] = field(default_factory=dict)
    reported: OrderedDict[str, None] = field(default_factory=OrderedDict)


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
