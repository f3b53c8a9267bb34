"""Findings drawn from speech-recognition transcripts say so and are less confident.

A transcript is the recogniser's guess: every finding on an utterance with `source: asr` carries
the model, the segment's average log-probability and its time span in the recording, and its
confidence is scaled by how sure the model was (lower again when only the sound matched).
"""

from __future__ import annotations

import math

from clearlive.model.events import EventBase, Utterance
from clearlive.model.findings import Finding, SpeechEvidence

SOUND_ONLY_FACTOR = 0.8  # a match on pinyin alone: the characters said something else


def speech_evidence(ev: EventBase, by_sound: bool = False) -> SpeechEvidence | None:
    """What a finding on `ev` must say about speech recognition; None for typed text."""
    if not isinstance(ev, Utterance) or ev.source != "asr":
        return None
    return SpeechEvidence(
        model=ev.asr_model or "",
        avg_logprob=ev.avg_logprob if ev.avg_logprob is not None else 0.0,
        start=ev.start if ev.start is not None else 0.0,
        end=ev.end if ev.end is not None else (ev.start or 0.0),
        matched_by="sound" if by_sound else "text",
        recording=ev.recording,
    )


def asr_confidence(rule_confidence: float, speech: SpeechEvidence) -> float:
    """A rule's confidence times how sure the recogniser was of the segment (exp of its average
    log-probability, kept within 0.3-1), and lower again for a match on sound alone."""
    certainty = min(1.0, max(0.3, math.exp(speech.avg_logprob)))
    factor = SOUND_ONLY_FACTOR if speech.matched_by == "sound" else 1.0
    return round(rule_confidence * certainty * factor, 3)


def mark_speech_findings(findings: list[Finding], ev: EventBase) -> None:
    """Detectors other than the text rules (classifiers, claim frames) know nothing of speech:
    their findings on a recognised utterance get the same marking here."""
    if not isinstance(ev, Utterance) or ev.source != "asr":
        return
    for f in findings:
        if f.speech is None and ev.id in f.event_ids:
            speech = speech_evidence(ev)
            f.source, f.speech = "asr", speech
            f.confidence = asr_confidence(f.confidence, speech)  # type: ignore[arg-type]
