"""The detector that runs YAML text rules over host speech, chat, titles and listings."""

from __future__ import annotations

import re
from collections.abc import Iterable

from clearlive.detectors.base import Detector, RoomState, register
from clearlive.model.events import EventBase, Utterance, event_field_of_text, event_type, format_ts, scannable_text
from clearlive.model.findings import Evidence, Finding, finding_id
from clearlive.normalize import normalize
from clearlive.rules.matcher import RuleMatch, RuleSet

CONTEXT_CHARS = 24
MAX_TEXT_CHARS = 20_000  # longer texts are scanned in their first MAX_TEXT_CHARS characters
_CJK_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN_WORD_RE = re.compile("[a-z]{2}")


def languages_for(lang: str | None, normalised: str, available: Iterable[str]) -> list[str]:
    """Which language packs read this text.

    The Chinese pack reads everything not explicitly English (Chinese chat writes handles like
    'vx' in Latin letters); the English pack reads anything with Latin words; language-neutral
    packs ('any': links, e-mail, phone numbers) read everything once.
    """
    primary = lang.split("-")[0].lower() if lang else ""
    ascii_only = normalised.isascii()
    has_cjk = not ascii_only and _CJK_RE.search(normalised) is not None
    has_latin = _LATIN_WORD_RE.search(normalised) is not None
    out = []
    for candidate in available:
        if candidate == "any":
            out.append(candidate)
        elif candidate == "zh":
            if primary != "en" or has_cjk:
                out.append(candidate)
        elif candidate == "en":
            if has_latin:
                out.append(candidate)
        elif candidate == primary:
            out.append(candidate)
    return out


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
        offset_s = round((ev.ts - room.first_ts) / 1000, 3)  # type: ignore[operator]
    quote_norm = normalised[m.norm_start : m.norm_end]
    return Finding(
        id=finding_id(spec.id, ev.id or "", quote_norm, occurrence),
        rule_id=spec.id,
        category=spec.category,
        severity=spec.severity,
        confidence=spec.confidence,
        room_id=ev.room_id,
        session_id=ev.session_id or room.session_id,
        anchor_id=ev.anchor_id or room.anchor_id,
        ts=format_ts(ev.ts),  # type: ignore[arg-type]
        ts_ms=ev.ts,  # type: ignore[arg-type]
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
    )


def drop_contained(found: list[RuleMatch]) -> list[RuleMatch]:
    """One incident, one finding: a match inside a longer match of the same category is dropped
    ('ＶＸ' inside 'ＶＸ：ｌｉｎｇｌｉｎｇ８８'). Different categories are different problems and stay."""
    if len(found) < 2:
        return found
    kept = []
    for m in found:
        inside = any(
            o is not m
            and o.rule.spec.category == m.rule.spec.category
            and o.start <= m.start
            and m.end <= o.end
            and (o.end - o.start, o.rule.id) > (m.end - m.start, m.rule.id)
            for o in found
        )
        if not inside:
            kept.append(m)
    return kept


class TextRuleDetector(Detector):
    id = "text_rules"
    event_types = frozenset({"utterance", "comment", "product", "session_start", "session_end", "review", "complaint"})

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.languages = ruleset.languages

    def matches(self, ev: EventBase, text: str) -> tuple[str, list[RuleMatch]]:
        norm = normalize(text[:MAX_TEXT_CHARS])
        hits = self.ruleset.matcher.match(norm)
        if not hits:
            return norm.text, hits
        kind = event_type(ev)
        speaker = ev.speaker if isinstance(ev, Utterance) else None
        langs = languages_for(ev.lang, norm.text, self.languages)
        found: list[RuleMatch] = []
        for m in hits:
            spec = m.rule.spec
            if kind not in spec.applies_to or m.rule.languages.isdisjoint(langs):
                continue
            if speaker is not None and spec.speakers is not None and speaker not in spec.speakers:
                continue
            found.append(m)
        return norm.text, found

    def observe(self, ev: EventBase, room: RoomState) -> Iterable[Finding]:
        text = scannable_text(ev)
        if not text:
            return ()
        normalised, found = self.matches(ev, text)
        if not found:
            return ()
        seen: dict[tuple[str, str], int] = {}
        out = []
        for m in sorted(drop_contained(found), key=lambda m: (m.start, m.end, m.rule.id)):
            key = (m.rule.id, normalised[m.norm_start : m.norm_end])
            occurrence = seen.get(key, 0)
            seen[key] = occurrence + 1
            out.append(build_finding(m, ev, room, text, normalised, occurrence))
        return out


register("text_rules")(TextRuleDetector)
