"""Findings drawn from speech-recognition transcripts say so and are less confident.

A transcript is the recogniser's guess: every finding on an utterance with `source: asr` carries
the model, the segment's average log-probability and its time span in the recording, and its
confidence is scaled by how sure the model was (lower again when only the sound matched).
"""

from __future__ import annotations

import math

from clearlive.model.events import EventBase, Utterance, format_ts
from clearlive.model.findings import Finding, SpeechEvidence
from clearlive.watch.audio.timing import quote_time

SOUND_ONLY_FACTOR = 0.8  # a match on pinyin alone: the characters said something else


def quote_moment(ev: EventBase, start: int, end: int) -> tuple[float, float] | None:
    """When the quote ev.text[start:end] was said (seconds into the recording), from the
    utterance's word times; None when it carries none (typed text, a plain transcript)."""
    if not isinstance(ev, Utterance):
        return None
    return quote_time(ev.word_times, start, end)


def speech_evidence(
    ev: EventBase, by_sound: bool = False, quote: tuple[int, int] | None = None
) -> SpeechEvidence | None:
    """What a finding on `ev` must say about speech recognition; None for typed text. With the
    quote's offsets, its span is when the quoted words were said."""
    if not isinstance(ev, Utterance) or ev.source != "asr":
        return None
    start = ev.start if ev.start is not None else 0.0
    end = ev.end if ev.end is not None else start
    said = quote_moment(ev, *quote) if quote is not None else None
    return SpeechEvidence(
        model=ev.asr_model or "",
        avg_logprob=ev.avg_logprob if ev.avg_logprob is not None else 0.0,
        start=said[0] if said else start,
        end=said[1] if said else end,
        matched_by="sound" if by_sound else "text",
        recording=ev.recording,
        utterance_start=start,
        utterance_end=end,
    )


def place_at_quote(f: Finding, ev: EventBase) -> None:
    """Move a finding on `ev` from the utterance's start to the moment its quote was said: its
    `ts` and `stream_offset_s` (a no-op without word times, or for evidence in another field)."""
    if not isinstance(ev, Utterance) or ev.start is None or f.evidence.field != "text":
        return
    said = quote_moment(ev, f.evidence.start, f.evidence.end)
    if said is None:
        return
    f.ts_ms = ev.ts + round((said[0] - ev.start) * 1000)
    f.ts = format_ts(f.ts_ms)
    f.stream_offset_s = said[0]


def asr_confidence(rule_confidence: float, speech: SpeechEvidence) -> float:
    """A rule's confidence times how sure the recogniser was of the segment (exp of its average
    log-probability, kept within 0.3-1), and lower again for a match on sound alone."""
    certainty = min(1.0, max(0.3, math.exp(speech.avg_logprob)))
    factor = SOUND_ONLY_FACTOR if speech.matched_by == "sound" else 1.0
    return round(rule_confidence * certainty * factor, 3)


def mark_speech_findings(findings: list[Finding], ev: EventBase) -> None:
    """Detectors other than the text rules (classifiers, claim frames) know nothing of speech:
    their findings on a recognised utterance get the same marking here, and any finding on an
    utterance with word times is placed at the words it quotes."""
    if not isinstance(ev, Utterance):
        return
    for f in findings:
        if ev.id not in f.event_ids:
            continue
        if f.speech is None and ev.source == "asr":
            quote = (f.evidence.start, f.evidence.end) if f.evidence.field == "text" else None
            speech = speech_evidence(ev, quote=quote)
            f.source, f.speech = "asr", speech
            f.confidence = asr_confidence(f.confidence, speech)  # type: ignore[arg-type]
        if ev.word_times and f.event_ids == [ev.id]:
            place_at_quote(f, ev)
