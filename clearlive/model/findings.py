"""The finding record of CONTRACT section 3."""

from __future__ import annotations

import hashlib

import msgspec

SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")
SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}

CATEGORIES: tuple[str, ...] = (
    "absolute_terms",
    "efficacy_claim",
    "price_deception",
    "false_scarcity",
    "origin_brand_claim",
    "fabricated_persona",
    "impersonation",
    "pseudo_science",
    "soft_porn",
    "diversion",
    "abuse",
    "provocation",
    "induced_tipping",
    "fake_data",
    "disclosure",
    "fake_reviews",
)


class Evidence(msgspec.Struct, kw_only=True):
    text: str  # the quote exactly as in the original event text
    start: int  # offsets into the ORIGINAL text, so text == original[start:end]
    end: int
    context: str  # a little of the original text either side of the quote
    field: str = "text"  # which event field the offsets refer to
    normalized: str = ""  # the quote after normalisation, what the rule actually matched
    matched: str = ""  # the rule term or pattern that fired


class LegalBasis(msgspec.Struct, kw_only=True):
    id: str
    citation: str
    mark: str  # V verified, M from memory/secondary, ? uncertain (taxonomy.md's markers)


class SpeechEvidence(msgspec.Struct, kw_only=True):
    """Where a finding's text came from when it came from speech recognition (`source: asr`)."""

    model: str  # the speech model that wrote the transcript
    avg_logprob: float  # the segment's average token log-probability: how sure the model was
    start: float  # when the quoted words were said, seconds into the recording (the utterance's span
    end: float  # when the transcript carries no word times)
    matched_by: str = "text"  # "text": the characters matched; "sound": only their toneless pinyin did
    recording: str | None = None  # where to play it: the file or stream URL scanned, or the service's copy
    utterance_start: float | None = None  # the whole utterance's span, which may hold more than one sentence
    utterance_end: float | None = None


class Finding(msgspec.Struct, kw_only=True):
    id: str
    rule_id: str
    category: str
    severity: str
    confidence: float
    room_id: str
    session_id: str | None
    anchor_id: str | None
    ts: str
    event_ids: list[str]
    evidence: Evidence
    legal_basis: list[LegalBasis]
    message: str
    suggestion: str | None
    title: str = ""
    speaker: str | None = None
    event_type: str = ""
    stream_offset_s: float | None = None  # seconds into the recording, for transcripts
    ts_ms: int = 0
    facts: dict[str, object] | None = None  # numbers a cross-event finding rests on (prices, stock, counts)
    source: str | None = None  # "asr" when the evidence is a speech-recognition transcript
    speech: SpeechEvidence | None = None


def finding_id(rule_id: str, event_id: str, normalized_quote: str, occurrence: int) -> str:
    """Deterministic, position-free fingerprint (detect-secrets style).

    It does not include character offsets, so a finding keeps its id (and its review) when a
    transcript is re-cut; `occurrence` separates repeats of the same quote in one event.
    """
    key = "\x1f".join((rule_id, event_id, normalized_quote, str(occurrence)))
    return "f_" + hashlib.blake2b(key.encode("utf-8"), digest_size=10).hexdigest()
