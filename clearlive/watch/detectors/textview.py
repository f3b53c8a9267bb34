"""The shared per-event text work: normalisation and rule matches, made once per event.

Several detectors read an event's text: the text rules, the claim frames, templated chat, fan
raids and the classifiers. They all need its normalised form and most need the rule matches; the
scanner makes both once per event with a `TextAnalyzer` and passes the result, a `TextView`, to
every `TextDetector` (`observe_text`). No detector reads what another cached, so the order of the
detectors does not matter.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import msgspec

from clearlive.model.events import MAX_TEXT_CHARS, EventBase, Utterance, event_type, scannable_text
from clearlive.model.findings import Finding
from clearlive.watch.detectors.base import Detector, RoomState
from clearlive.watch.normalize import NormalizedText, normalize
from clearlive.watch.rules.matcher import RuleMatch, RuleSet

if TYPE_CHECKING:
    from clearlive.watch.classifiers.verifier import Verifier

_CJK_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN_WORD_RE = re.compile("[a-z]{2}")
_NO_MATCHES: list[RuleMatch] = []  # shared empty result; never mutated


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


@dataclass(slots=True)
class TextView:
    """What every text-reading detector shares about one event.

    `text` is the event's scannable text ('' when it has none), `normalised` its normalised form
    (of the first MAX_TEXT_CHARS characters), `matches` the rule matches that apply to this event
    (its type, speaker and language), and `cues` the indices of coupled rules whose cue words it
    holds (None when no loaded rule is coupled)."""

    text: str
    normalised: str
    matches: list[RuleMatch]
    cues: list[int] | None = None


EMPTY_VIEW = TextView("", "", _NO_MATCHES, None)


class TextAnalyzer:
    """Makes the `TextView` of an event: normalisation, then the rule set's matches filtered by
    the event's type, speaker and language (with sound-alike matches for speech recognition)."""

    def __init__(self, ruleset: RuleSet | None, verifier: Path | None = None) -> None:
        self.ruleset = ruleset
        self.languages = ruleset.languages if ruleset is not None else []
        self.has_coupled = ruleset is not None and any(r.spec.coupled for r in ruleset.rules)
        self.verifier_path = verifier  # the learned verifier (classifiers/verifier.py), loaded when first needed
        self._verifier: Verifier | None = None

    def verifier(self) -> Verifier | None:
        if self._verifier is None and self.verifier_path is not None:
            from clearlive.watch.classifiers.verifier import Verifier  # numpy arrays: loaded on first use

            self._verifier = Verifier.load(self.verifier_path)
        return self._verifier

    def view(self, ev: EventBase) -> TextView:
        text = scannable_text(ev)
        if not text:
            return EMPTY_VIEW
        return self._view(ev, text, normalize(text[:MAX_TEXT_CHARS]))  # readers reject longer texts

    def views(self, events: list[EventBase]) -> list[TextView]:
        """The views of many events, the same as `view` of each (the fast path of issue #21): the
        texts are normalised one by one, then one automaton pass over all of them (`Matcher.may_match`)
        finds the few that hold any term or pattern literal; only those go through the matcher. Most
        chat matches nothing and never reaches it."""
        if self.ruleset is None:
            return [self.view(ev) for ev in events]
        texts = [scannable_text(ev) for ev in events]
        norms = [normalize(t[:MAX_TEXT_CHARS]) if t else None for t in texts]
        flags = iter(self.ruleset.matcher.may_match([n.text for n in norms if n is not None]))
        out: list[TextView] = []
        for ev, text, norm in zip(events, texts, norms, strict=True):
            if norm is None or not text:
                out.append(EMPTY_VIEW)
            elif next(flags) or (isinstance(ev, Utterance) and ev.source == "asr"):  # sound-alikes need no term
                out.append(self._view(ev, text, norm))
            else:
                out.append(TextView(text, norm.text, _NO_MATCHES, [] if self.has_coupled else None))
        return out

    def _view(self, ev: EventBase, text: str, norm: NormalizedText) -> TextView:
        if self.ruleset is None:
            return TextView(text, norm.text, _NO_MATCHES)
        cues: list[int] | None = [] if self.has_coupled else None
        hits = self.ruleset.matcher.match(norm, cues=cues)
        if isinstance(ev, Utterance) and ev.source == "asr":
            # Speech recognition swaps homophones; typed text never pays for this.
            heard = self.ruleset.sound_matches(norm, hits)
            if heard:
                hits = [*hits, *heard]
        if not hits:
            return TextView(text, norm.text, _NO_MATCHES, cues)
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
        return TextView(text, norm.text, found, cues)


# Findings on these events are sentences someone said or wrote: the verifier judges them.
VERIFIED_EVENTS = frozenset({"utterance", "comment"})


def lower_compliant(found: list[Finding], ev: EventBase, view: TextView, verifier: Verifier) -> list[Finding]:
    """A word-matching finding on a sentence that the learned verifier reads as compliant (a notice,
    small print, a paraphrase: classifiers/verifier.py) is lowered to `info`, with the verifier's
    numbers in its facts; the sentence is scored once, and only when something it judges fired."""
    scored: tuple[float, float] | None = None
    out = found
    for i, f in enumerate(found):
        if f.severity == "info" or f.category not in verifier.categories or not f.event_ids or f.event_ids[0] != ev.id:
            continue  # a finding released here for an earlier event is judged on that event's text
        if scored is None:
            scored = verifier.probability(view.text, getattr(ev, "lang", None), view.normalised)
            if scored is None:
                return found
        verdict = verifier.verdict(f.category, scored)
        if verdict is None or not verdict.reads_compliant:
            continue
        if out is found:
            out = list(found)
        p, t = verdict.probability, verdict.threshold
        out[i] = msgspec.structs.replace(
            f,
            severity="info",
            facts={**(f.facts or {}), "verifier_probability": round(p, 4), "verifier_threshold": round(t, 4)},
            message=f"{f.message} / 学习校验模型认为整句更像合规表述（概率 {p:.2f}，低于 {t:.2f}），"
            "降为提示，请人工复核。 / A learned verifier trained on real statements reads the whole sentence "
            "as compliant "
            f"(p = {p:.2f}, below {t:.2f}): lowered to info for a reviewer to check.",
        )
    return out


class TextDetector(Detector):
    """A detector that reads an event's `TextView`: the scanner makes the view once per event and
    calls `observe_checked`. Called on its own (`observe`), the detector makes the view itself with
    its `analyzer` (normalisation only, no rule matches, when it has none).

    A detector whose findings rest on the words of one sentence (`verified`) has them checked by
    the analyzer's learned verifier, wherever it runs."""

    analyzer: TextAnalyzer | None = None
    verified: ClassVar[bool] = False

    def observe(self, event: EventBase, room: RoomState) -> Iterable[Finding]:
        return self.observe_checked(event, room, self.text_analyzer().view(event))

    def observe_checked(self, event: EventBase, room: RoomState, view: TextView) -> Iterable[Finding]:
        """`observe_text`, then the verifier on what it found (for a `verified` detector)."""
        found = self.observe_text(event, room, view)
        if not found or not self.verified or event_type(event) not in VERIFIED_EVENTS:
            return found
        verifier = self.text_analyzer().verifier()
        return found if verifier is None else lower_compliant(list(found), event, view, verifier)

    def text_analyzer(self) -> TextAnalyzer:
        """The analyzer whose views this detector reads."""
        return self.analyzer if self.analyzer is not None else BARE_ANALYZER

    @abstractmethod
    def observe_text(self, event: EventBase, room: RoomState, text: TextView) -> Iterable[Finding]:
        """Findings this event gives, given its text view and what the room has seen before."""


BARE_ANALYZER = TextAnalyzer(None)  # normalisation only: for text detectors given no rule set
