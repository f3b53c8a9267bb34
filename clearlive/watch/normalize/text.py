"""Normalise text for matching while keeping a map back to the original offsets.

A match found in the normalised text is reported as a slice of the ORIGINAL text: evidence must
quote what was said, not what we turned it into. Each normalised character carries the
[start, end) span of original text it came from; a one-for-one step keeps the map untouched,
a rewriting step composes it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import ahocorasick

from clearlive.watch.normalize.tables import CHAR_TABLE, EXPANSIONS, NUMERAL_DIGITS

_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
# Characters inserted to break up a word: spaces, light punctuation, emoji and symbols.
# Chinese sentence punctuation (，。！？、) is kept: removing it would join sentences.
_SEP = r"\s\-_*·•|/\\~^=#@.'\"`<>\[\]{}()\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff\u3000\u30fb"
_INVISIBLE = "\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u180e\ufe00-\ufe0f"
# Candidates for deletion: invisible runs anywhere, and up to three separators before a CJK
# character, letter or digit. The character before the run decides (see _deletions): starting the
# pattern with a character class lets `re` skip ahead fast, where a leading look-behind made it
# four times slower.
_DELETE_CANDIDATE_RE = re.compile(f"[{_INVISIBLE}]+|[{_SEP}{_INVISIBLE}]{{1,3}}(?=[{_CJK}0-9a-z])")
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]+")
_CJK_CHAR_RE = re.compile(f"[{_CJK}]")
_DIGIT_SEP_RE = re.compile(r"(?<=\d)[ \t\-](?=\d)")  # all _DELETE_RE can find in ASCII text
# A run of five or more digit-like characters is a number being spelled out (phone, QQ id).
_NUMERAL_RUN_RE = re.compile("[0-9" + "".join(chr(c) for c in NUMERAL_DIGITS) + "]{5,}")


def _char_class(chars: set[str], any_astral: bool = False) -> re.Pattern[str]:
    """A character class written as ranges. With `any_astral`, every character outside the BMP
    is in it too: a long list of single astral characters makes `re` test them one by one."""
    return re.compile("[" + _class_body(chars, any_astral) + "]")


def _class_body(chars: set[str], any_astral: bool = False) -> str:
    points = sorted(ord(c) for c in chars if not (any_astral and ord(c) > 0xFFFF))
    parts: list[str] = []
    i = 0
    while i < len(points):
        j = i
        while j + 1 < len(points) and points[j + 1] == points[j] + 1:
            j += 1
        lo, hi = chr(points[i]), chr(points[j])
        parts.append(re.escape(lo) if i == j else f"{re.escape(lo)}-{re.escape(hi)}")
        i = j + 1
    if any_astral:
        parts.append("\U00010000-\U0010ffff")
    return "".join(parts)


# Cheap gates: most chat needs none of the rewriting steps, and a character-class search is
# several times cheaper than the step it guards (measured in bench/scan.py).
_TABLE_GATE = _char_class({chr(c) for c in CHAR_TABLE}, any_astral=True)
_DELETE_GATE = re.compile(f"[{_SEP}{_INVISIBLE}]")


def _build_expansions() -> tuple[ahocorasick.Automaton, re.Pattern[str] | None, re.Pattern[str] | None, dict[str, str]]:
    """Multi-character keys go into an automaton; single characters into a character class
    (an automaton with hundreds of one-character keys is slow at its root)."""
    automaton = ahocorasick.Automaton()
    singles: dict[str, str] = {}
    firsts: set[str] = set()
    for key, value in EXPANSIONS.items():
        k = key.translate(CHAR_TABLE)  # keys are matched on text that went through CHAR_TABLE
        if len(k) == 1:
            singles[k] = value
        elif k:
            automaton.add_word(k, (len(k), value))
            firsts.add(k[0])
    if firsts:
        automaton.make_automaton()
    return (automaton, _char_class(firsts) if firsts else None, _char_class(set(singles)) if singles else None, singles)


_EXPANSIONS, _MULTI_GATE, _SINGLE_RE, _SINGLES = _build_expansions()
# One gate for steps 1-3: a text with none of these characters is already normalised (but for
# numeral runs), which is most chat.
_REWRITE_GATE = re.compile(
    "["
    + _class_body(
        {chr(c) for c in CHAR_TABLE} | set(_SINGLES) | {k.translate(CHAR_TABLE)[0] for k in EXPANSIONS}, any_astral=True
    )
    + _SEP
    + _INVISIBLE
    + "]"
)


class NormalizedText(NamedTuple):
    """`text` is what rules match; `span()` maps a match back into `original`.

    A NamedTuple, not a frozen dataclass: one is built per scanned text, and tuple creation is
    several times cheaper."""

    original: str
    text: str
    starts: list[int] | None = None  # None: identity map (nothing moved)
    ends: list[int] | None = None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) for normalised [start, end); end > start."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


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


def _expansion_edits(text: str) -> list[tuple[int, int, str]]:
    edits: list[tuple[int, int, str]] = []
    if _MULTI_GATE is not None and _MULTI_GATE.search(text):
        edits = [(end + 1 - size, end + 1, repl) for end, (size, repl) in _EXPANSIONS.iter_long(text)]
    if _SINGLE_RE is not None:
        singles = [(m.start(), m.end(), _SINGLES[m.group()]) for m in _SINGLE_RE.finditer(text)]
        if singles:
            covered = {i for a, b, _ in edits for i in range(a, b)}
            edits = sorted(edits + [e for e in singles if e[0] not in covered])
    return edits


def _deletions(text: str) -> list[tuple[int, int, str]]:
    """Separators inserted to break a word: between two CJK characters, between CJK and a letter
    or digit (either way round), a space or hyphen between digits; invisible characters anywhere."""
    out: list[tuple[int, int, str]] = []
    for m in _DELETE_CANDIDATE_RE.finditer(text):
        a, b = m.span()
        if _INVISIBLE_RE.fullmatch(text, a, b):
            out.append((a, b, ""))
            continue
        prev = text[a - 1] if a else ""
        if not prev:
            continue
        nxt = text[b]  # the look-ahead guarantees a CJK character, letter or digit here
        prev_cjk = _CJK_CHAR_RE.match(prev) is not None
        if prev_cjk or (_CJK_CHAR_RE.match(nxt) and (prev.isascii() and prev.isalnum() and not prev.isupper())):
            out.append((a, b, ""))
        elif prev.isdigit() and nxt.isdigit() and b - a == 1 and text[a] in " \t-":
            out.append((a, b, ""))
        else:
            # Not a separator run to delete, but invisible characters inside it still go.
            out.extend((a + i.start(), a + i.end(), "") for i in _INVISIBLE_RE.finditer(m.group()))
    return out


def _digits(m: re.Match[str]) -> str:
    return m.group(0).translate(NUMERAL_DIGITS)


def normalize(original: str) -> NormalizedText:
    """Fold width, case, script and evasions; see docs/normalisation.md for the steps."""
    if not _REWRITE_GATE.search(original):
        if _NUMERAL_RUN_RE.search(original):
            return NormalizedText(original, _NUMERAL_RUN_RE.sub(_digits, original))
        return NormalizedText(original, original)
    text = original.translate(CHAR_TABLE) if _TABLE_GATE.search(original) else original
    starts: list[int] | None = None
    ends: list[int] | None = None

    first = _expansion_edits(text)
    if first:
        text, starts, ends = _rewrite(text, starts, ends, first)

    deletions: list[tuple[int, int, str]] = []
    if _DELETE_GATE.search(text):
        if text.isascii():
            deletions = [(m.start(), m.end(), "") for m in _DIGIT_SEP_RE.finditer(text)]
        else:
            deletions = _deletions(text)
        if deletions:
            text, starts, ends = _rewrite(text, starts, ends, deletions)

    if first or deletions:
        # A second pass catches what the first one or the deletions assembled:
        # 力口薇 -> 加薇 -> 加微; 加 v 信 -> 加v信 -> 加微信.
        second = _expansion_edits(text)
        if second:
            text, starts, ends = _rewrite(text, starts, ends, second)

    if _NUMERAL_RUN_RE.search(text):
        # One-for-one, so the offset map is unchanged.
        text = _NUMERAL_RUN_RE.sub(_digits, text)
    return NormalizedText(original, text, starts, ends)
