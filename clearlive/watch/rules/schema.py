"""The rule-pack format (docs/rules.md). Validated with msgspec when a pack loads."""

from __future__ import annotations

import msgspec

DEFAULT_APPLIES_TO = ["utterance", "comment", "product", "session_start"]


class Window(msgspec.Struct, forbid_unknown_fields=True):
    """Terms looked for within `before` characters before and `after` after a match
    (in normalised text, within the same event)."""

    terms: list[str]
    before: int = 12
    after: int = 12


class Coupling(msgspec.Struct, forbid_unknown_fields=True):
    """Terms looked for in OTHER events of the same room (and in the same text) within a time window.

    mode "present": a hit counts only if a cue occurs within `within_s` seconds before or after it
      (hardship talk + a purchase call; an innuendo + a gift request). A hit waiting for its cue is
      held back; it is dropped if none comes.
    mode "absent": a hit counts only if NO cue occurred in the `within_s` seconds before it
      (an affiliate code with no disclosure in the last 30 minutes).
    """

    terms: list[str]
    within_s: float = 60.0
    mode: str = "present"
    speakers: list[str] | None = None  # whose utterances count as cues (default: anyone)


class MatchExample(msgspec.Struct, forbid_unknown_fields=True):
    text: str
    quote: str | None = None  # the evidence the rule must quote, when given
    event: str = "utterance"
    before: list[str] = []  # host utterances 10 s apart before the example (for coupled rules)
    after: list[str] = []  # host utterances 10 s apart after it
    qualifications: list[str] = []  # the host's verified qualifications for the example


class NoMatchExample(msgspec.Struct, forbid_unknown_fields=True):
    text: str
    event: str = "utterance"
    why: str | None = None
    before: list[str] = []
    after: list[str] = []
    qualifications: list[str] = []


class Examples(msgspec.Struct, forbid_unknown_fields=True):
    match: list[str | MatchExample]
    no_match: list[str | NoMatchExample]


class RuleSpec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: str
    title: str  # in the pack's language
    category: str
    severity: str
    legal_basis: list[str]
    message: str
    examples: Examples
    titles: dict[str, str] = {}  # the title in the reviewers' other interface languages: {zh: ..., en: ...}
    languages: list[str] | None = None  # defaults to the pack's language
    terms: list[str] = []
    patterns: list[str] = []
    requires_any: Window | None = None
    excludes: Window | None = None
    allow: list[str] = []
    suggestion: str | None = None
    confidence: float = 0.8
    applies_to: list[str] = msgspec.field(default_factory=lambda: list(DEFAULT_APPLIES_TO))
    speakers: list[str] | None = None  # for utterances: which speakers the rule covers
    coupled: Coupling | None = None
    # Qualification keywords that exempt the host (a verified 执业医师 may talk about health):
    # matched against `qualifications` of the session_start or product events of the room.
    exempt_if_qualified: list[str] = []
    tags: list[str] = []
    # Categories this rule's finding already covers on the same event: gifts traded for undressing
    # are soft porn, and a second induced-tipping finding for the same words would double-count.
    supersedes: list[str] = []


class PackSpec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pack: str
    language: str  # BCP 47 primary language the pack's automaton serves: zh or en
    jurisdiction: str
    rules: list[RuleSpec]
    allow: list[str] = []  # allowed phrases shared by every rule in the pack
    description: str | None = None
