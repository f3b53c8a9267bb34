"""The detector that runs YAML text rules over host speech, chat, titles and listings."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from clearlive.model.events import (
    EventBase,
    Utterance,
    event_field_of_text,
    event_type,
    format_ts,
)
from clearlive.model.findings import SEVERITY_RANK, Evidence, Finding, finding_id
from clearlive.watch.claims.speech_acts import counts, speaker_act, speech_act
from clearlive.watch.detectors.base import RoomState
from clearlive.watch.detectors.speech import asr_confidence, speech_evidence
from clearlive.watch.detectors.textview import TextAnalyzer, TextDetector, TextView
from clearlive.watch.rules.matcher import RuleMatch, RuleSet

CONTEXT_CHARS = 24

_CJK_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")


def build_finding(
    m: RuleMatch, ev: EventBase, room: RoomState, original: str, normalised: str, occurrence: int
) -> Finding:
    spec = m.rule.spec
    lo = max(0, m.start - CONTEXT_CHARS)
    hi = min(len(original), m.end + CONTEXT_CHARS)
    offset_s = None
    if isinstance(ev, Utterance) and ev.start is not None:
        offset_s = ev.start
    elif room.first_ts is not None:
        offset_s = round((ev.ts - room.first_ts) / 1000, 3)
    quote_norm = normalised[m.norm_start : m.norm_end]
    speech = speech_evidence(ev, m.by_sound)
    return Finding(
        id=finding_id(spec.id, ev.id or "", quote_norm, occurrence),
        rule_id=spec.id,
        category=spec.category,
        severity=spec.severity,
        confidence=spec.confidence if speech is None else asr_confidence(spec.confidence, speech),
        room_id=ev.room_id,
        session_id=ev.session_id or room.session_id,
        anchor_id=ev.anchor_id or room.anchor_id,
        ts=format_ts(ev.ts),
        ts_ms=ev.ts,
        event_ids=[ev.id or ""],
        evidence=Evidence(
            text=original[m.start : m.end],
            start=m.start,
            end=m.end,
            context=original[lo:hi],
            field=event_field_of_text(ev),
            normalized=quote_norm,
            matched=m.matched,
        ),
        legal_basis=list(m.rule.legal_basis),
        message=spec.message,
        suggestion=spec.suggestion,
        title=spec.title,
        speaker=ev.speaker if isinstance(ev, Utterance) else ("viewer" if event_type(ev) == "comment" else None),
        event_type=event_type(ev),
        stream_offset_s=offset_s,
        source="asr" if speech is not None else None,
        speech=speech,
    )




def drop_contained(found: list[RuleMatch], text: str = "") -> list[RuleMatch]:
    """One incident, one finding: a match inside a longer match of the same category is dropped
    ('ＶＸ' inside 'ＶＸ：ｌｉｎｇｌｉｎｇ８８'). On the same span, the rule of the text's own
    language wins (en for "message me on Telegram"), then the more severe and more confident one.
    Different categories are different problems and stay."""
    if len(found) < 2:
        return found
    script = "zh" if _CJK_RE.search(text) else "en"

    def rank(m: RuleMatch) -> tuple[int, int, int, float, str]:
        spec = m.rule.spec
        return (m.end - m.start, script in m.rule.languages, SEVERITY_RANK[spec.severity], spec.confidence, m.rule.id)

    kept = []
    for m in found:
        inside = any(
            o is not m
            and o.rule.spec.category == m.rule.spec.category
            and o.start <= m.start
            and m.end <= o.end
            and rank(o) > rank(m)
            for o in found
        )
        if not inside:
            kept.append(m)
    return kept


MAX_CUES_PER_RULE = 256  # per room: the most recent cue times kept for a coupled rule
MAX_PENDING_PER_RULE = 256  # per room: hits waiting for their cue


@dataclass
class CouplingState:
    """Per-room memory of coupled rules: when their cues were said, and hits waiting for a cue."""

    cues: dict[int, deque[tuple[int, str]]] = field(default_factory=dict)
    pending: dict[int, list[Finding]] = field(default_factory=dict)


def _speaker_of(ev: EventBase) -> str | None:
    if isinstance(ev, Utterance):
        return ev.speaker
    return "viewer" if event_type(ev) == "comment" else None


class TextRuleDetector(TextDetector):
    id = "text_rules"
    event_types = frozenset({"utterance", "comment", "product", "session_start", "session_end", "review", "complaint"})
    analyzer: TextAnalyzer  # always one: the analyzer of this detector's packs

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        # The shared per-event text work (normalisation, matches): the scanner makes each event's
        # view once with this analyzer and hands it to every text detector.
        self.analyzer = TextAnalyzer(ruleset)
        self.supersedes = {r.id: r.spec.supersedes for r in ruleset.rules if r.spec.supersedes}

    def observe_text(self, ev: EventBase, room: RoomState, view: TextView) -> Iterable[Finding]:
        text = view.text
        if not text:
            return ()
        cues, normalised, found = view.cues, view.normalised, view.matches
        out: list[Finding] = []
        if cues:
            out.extend(self._record_cues(ev, room, cues))
        if not found:
            return out
        seen: dict[tuple[str, str], int] = {}
        imposed = speaker_act(ev.speaker) if isinstance(ev, Utterance) else None
        for m in sorted(drop_contained(found, text), key=lambda m: (m.start, m.end, m.rule.id)):
            spec = m.rule.spec
            if spec.exempt_if_qualified and _qualified(room, spec.exempt_if_qualified):
                continue
            # Warnings, denials, cited phrases and questions make no claim (clearlive/watch/claims/speech_acts.py).
            act = imposed or speech_act(normalised, m.norm_start, m.norm_end, spec.category)
            if not counts(spec.category, act):
                continue
            key = (m.rule.id, normalised[m.norm_start : m.norm_end])
            occurrence = seen.get(key, 0)
            seen[key] = occurrence + 1
            finding = build_finding(m, ev, room, text, normalised, occurrence)
            if spec.coupled is None:
                out.append(finding)
            elif self._couple(finding, self.ruleset.index[m.rule.id], room):
                out.append(finding)
        covered = {c for f in out if f.event_ids[0] == ev.id for c in self.supersedes.get(f.rule_id, ())}
        if covered:
            out = [f for f in out if f.category not in covered or f.event_ids[0] != ev.id]
        return out

    def _state(self, room: RoomState) -> CouplingState:
        state = room.slots.get(self.id)
        if state is None:
            state = room.slots[self.id] = CouplingState()
        return state

    def _record_cues(self, ev: EventBase, room: RoomState, cue_rules: list[int]) -> list[Finding]:
        """Remember when each coupled rule's cue was said; release hits that were waiting for it."""
        state = self._state(room)
        speaker = _speaker_of(ev)
        ts: int = ev.ts
        released: list[Finding] = []
        for rule_index in dict.fromkeys(cue_rules):
            coupling = self.ruleset.rules[rule_index].spec.coupled
            assert coupling is not None
            if coupling.speakers is not None and speaker not in coupling.speakers:
                continue
            window = int(coupling.within_s * 1000)
            state.cues.setdefault(rule_index, deque(maxlen=MAX_CUES_PER_RULE)).append((ts, ev.id or ""))
            waiting = state.pending.get(rule_index)
            if coupling.mode == "present" and waiting:
                still = []
                for f in waiting:
                    if abs(f.ts_ms - ts) <= window:
                        if ev.id not in f.event_ids:
                            f.event_ids.append(ev.id or "")
                        released.append(f)
                    else:
                        still.append(f)
                state.pending[rule_index] = still
        return released

    def _couple(self, finding: Finding, rule_index: int, room: RoomState) -> bool:
        """Whether a coupled rule's hit is a finding now; 'present' hits without a cue wait."""
        coupling = self.ruleset.rules[rule_index].spec.coupled
        assert coupling is not None
        window = int(coupling.within_s * 1000)
        state = self._state(room)
        ts = finding.ts_ms
        cue_times = state.cues.get(rule_index, ())
        if coupling.mode == "absent":
            return not any(0 <= ts - t <= window for t, _ in cue_times)
        near = [eid for t, eid in cue_times if abs(ts - t) <= window]
        if near:
            for eid in near[-1:]:
                if eid not in finding.event_ids:
                    finding.event_ids.append(eid)
            return True
        waiting = state.pending.setdefault(rule_index, [])
        if len(waiting) < MAX_PENDING_PER_RULE:
            waiting.append(finding)
        return False


def _qualified(room: RoomState, keywords: list[str]) -> bool:
    return any(k in q for q in room.qualifications for k in keywords)
