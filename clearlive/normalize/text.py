"""Normalise text for matching while keeping a map back to the original offsets.

A match found in the normalised text is reported as a slice of the ORIGINAL text: evidence must
quote what was said, not what we turned it into. Each normalised character carries the
[start, end) span of original text it came from; a one-for-one step keeps the map untouched,
a rewriting step composes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick

from clearlive.normalize.tables import CHAR_TABLE, EXPANSIONS, NUMERAL_DIGITS

_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
# Characters inserted to break up a word: spaces, light punctuation, emoji and symbols.
# Chinese sentence punctuation (，。！？、) is kept: removing it would join sentences.
_SEP = r"\s\-_*·•|/\\~^=#@.'\"`<>\[\]{}()\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff\u3000\u30fb"
_INVISIBLE = "\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u180e\ufe00-\ufe0f"
_DELETE_RE = re.compile(
    f"[{_INVISIBLE}]+"
    f"|(?<=[{_CJK}])[{_SEP}{_INVISIBLE}]{{1,3}}(?=[{_CJK}0-9a-z])"
    f"|(?<=[0-9a-z])[{_SEP}{_INVISIBLE}]{{1,3}}(?=[{_CJK}])"
    r"|(?<=\d)[ \t\-](?=\d)"
)
# A run of five or more digit-like characters is a number being spelled out (phone, QQ id).
_NUMERAL_RUN_RE = re.compile("[0-9" + "".join(chr(c) for c in NUMERAL_DIGITS) + "]{5,}")
_NUMERAL_CHARS = frozenset(chr(c) for c in NUMERAL_DIGITS)


def _build_expansion_automaton() -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for key, value in EXPANSIONS.items():
        # Keys are matched on text that already went through CHAR_TABLE.
        automaton.add_word(key.translate(CHAR_TABLE), (len(key.translate(CHAR_TABLE)), value))
    automaton.make_automaton()
    return automaton


_EXPANSIONS = _build_expansion_automaton()


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """`text` is what rules match; `span()` maps a match back into `original`."""

    original: str
    text: str
    starts: list[int] | None = None  # None: identity map (nothing moved)
    ends: list[int] | None = None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) for normalised [start, end); end > start."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]

    @property
    def steps(self) -> str:
        return "identity" if self.starts is None else "rewritten"


def _rewrite(
    text: str, starts: list[int] | None, ends: list[int] | None, edits: list[tuple[int, int, str]]
) -> tuple[str, list[int], list[int]]:
    """Apply sorted, non-overlapping (a, b, replacement) edits and compose the offset map."""
    if starts is None or ends is None:
        starts = list(range(len(text)))
        ends = list(range(1, len(text) + 1))
    out: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    pos = 0
    for a, b, repl in edits:
        out.append(text[pos:a])
        new_starts.extend(starts[pos:a])
        new_ends.extend(ends[pos:a])
        if repl:
            # Every replacement character points at the whole original span it replaced.
            out.append(repl)
            new_starts.extend([starts[a]] * len(repl))
            new_ends.extend([ends[b - 1]] * len(repl))
        pos = b
    out.append(text[pos:])
    new_starts.extend(starts[pos:])
    new_ends.extend(ends[pos:])
    return "".join(out), new_starts, new_ends


def normalize(original: str) -> NormalizedText:
    """Fold width, case, script and evasions; see docs/normalisation.md for the steps."""
    text = original.translate(CHAR_TABLE)
    starts: list[int] | None = None
    ends: list[int] | None = None

    edits = [(end + 1 - size, end + 1, repl) for end, (size, repl) in _EXPANSIONS.iter_long(text)]
    if edits:
        text, starts, ends = _rewrite(text, starts, ends, edits)

    deletions = [(m.start(), m.end(), "") for m in _DELETE_RE.finditer(text)]
    if deletions:
        text, starts, ends = _rewrite(text, starts, ends, deletions)

    if _NUMERAL_CHARS.intersection(text):
        runs = _NUMERAL_RUN_RE.findall(text)
        if runs:
            # One-for-one, so the offset map is unchanged.
            text = _NUMERAL_RUN_RE.sub(lambda m: m.group(0).translate(NUMERAL_DIGITS), text)
    return NormalizedText(original, text, starts, ends)
