"""When each part of a scanned transcript was said: the recogniser's word timestamps carried over
to the text the rules read, so a finding points at the words it quotes, not at its utterance.

An utterance can hold more than one sentence (two sentences said without a long pause become one
Whisper segment, and join_sentences joins segments cut mid-sentence); placed at its utterance's
start, a finding on the second sentence would point at the first. The scanned text is not the
heard text (traditional to simplified, 九十九 -> 99, text repeated at a window's seam trimmed),
so the words are aligned to it by their characters, and each word's time is kept at the offset in
the scanned text where it begins. Needs nothing from the audio extra: a transcript that carries
word times (Whisper JSON with `words`) is placed the same way.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from difflib import SequenceMatcher

# (offset into the scanned text where the word begins, start s, end s), offsets increasing
WordTime = tuple[int, float, float]


def _heard_to_text(heard: str, text: str) -> list[int | None]:
    """For every offset of `heard`, the offset of `text` it corresponds to, or None when the
    character is not in the text.

    Equal runs map one to one; a replaced run (九十九 -> 99) maps proportionally; characters only
    in `heard` (the repeat trimmed at a window's seam) map to None."""
    out: list[int | None] = [None] * len(heard)
    matcher = SequenceMatcher(None, heard, text, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for i in range(i1, i2):
            if tag == "equal":
                out[i] = j1 + (i - i1)
            elif tag == "replace":
                out[i] = j1 + (i - i1) * (j2 - j1) // (i2 - i1)
    return out


def word_times(text: str, words: Sequence[tuple[float, float, str]], fold: object = None) -> list[WordTime]:
    """Each recognised word's (offset into `text`, start, end), for words that reach the text.

    `words` are the recogniser's (start s, end s, word) in order; `fold` (a callable str -> str
    that keeps lengths, such as OpenCC's t2s) is applied to the heard characters before they are
    aligned with `text`, so that 這 in the heard words meets 这 in the text."""
    if not text or not words:
        return []
    starts: list[int] = []
    pieces: list[str] = []
    at = 0
    for _, _, w in words:
        starts.append(at)
        pieces.append(w)
        at += len(w)
    heard = "".join(pieces)
    if callable(fold):
        folded = fold(heard)
        if isinstance(folded, str) and len(folded) == len(heard):
            heard = folded
    where = _heard_to_text(heard, text)
    out: list[WordTime] = []
    for (a, b, w), s in zip(words, starts, strict=True):
        lead = len(w) - len(w.lstrip())  # Whisper's words carry their leading space
        if lead == len(w):
            continue
        offset = next((o for o in where[s + lead : s + len(w)] if o is not None), None)
        if offset is None or (out and offset < out[-1][0]):
            continue  # not in the text (trimmed at a seam), or out of order
        if out and offset == out[-1][0]:
            # Two words on one offset (a word the text dropped): keep the first start, the last end.
            out[-1] = (offset, out[-1][1], round(float(b), 3))
            continue
        out.append((offset, round(float(a), 3), round(float(b), 3)))
    return out


def quote_time(times: Sequence[Sequence[float]] | None, start: int, end: int) -> tuple[float, float] | None:
    """When the quote text[start:end] was said: from the start of the word it begins in to the
    end of the word it ends in. None when the utterance carries no word times."""
    if not times:
        return None
    offsets = [int(t[0]) for t in times]
    first = max(0, bisect_right(offsets, start) - 1)
    last = max(first, bisect_right(offsets, max(start, end - 1)) - 1)
    return float(times[first][1]), float(times[last][2])
