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


class MatchExample(msgspec.Struct, forbid_unknown_fields=True):
    text: str
    quote: str | None = None  # the evidence the rule must quote, when given
    event: str = "utterance"


class NoMatchExample(msgspec.Struct, forbid_unknown_fields=True):
    text: str
    event: str = "utterance"
    why: str | None = None


class Examples(msgspec.Struct, forbid_unknown_fields=True):
    match: list[str | MatchExample]
    no_match: list[str | NoMatchExample]


class RuleSpec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: str
    title: str
    category: str
    severity: str
    legal_basis: list[str]
    message: str
    examples: Examples
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
    tags: list[str] = []


class PackSpec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pack: str
    language: str  # BCP 47 primary language the pack's automaton serves: zh or en
    jurisdiction: str
    rules: list[RuleSpec]
    allow: list[str] = []  # allowed phrases shared by every rule in the pack
    description: str | None = None
