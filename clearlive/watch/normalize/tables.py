"""Lookup tables for text normalisation, built once at import (ftfy's WIDTH_MAP habit).

Three kinds of table:
- CHAR_TABLE: one character to one character (width folding, NFKC, case, traditional to
  simplified, styled letters and digits). Applied with ``str.translate``, so offsets do not move.
- EXPANSIONS: a character or phrase to a different-length replacement (parenthesised digits,
  emoji stand-ins, homophones of contact words). Applied with a longest-match automaton and an
  offset map.
- NUMERAL_DIGITS: Chinese numerals to ASCII digits, applied only inside runs long enough to be a
  phone number or ID, so 第一 and 一号链接 keep their meaning.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path
from typing import Any

from clearlive.cache import cached, module_stamp
from clearlive.yamlsafe import load_yaml

_DATA = Path(__file__).with_name("variants.yaml")

# Ranges where NFKC folding matters for evasion: full-width forms, circled and parenthesised
# digits and letters, styled mathematical letters, superscripts, Kangxi radicals, CJK
# compatibility ideographs. Folding all of Unicode at import would cost a second for nothing.
_NFKC_RANGES: tuple[tuple[int, int], ...] = (
    (0x00A0, 0x024F),
    (0x1D2C, 0x1D6A),
    (0x2000, 0x206F),
    (0x2070, 0x209F),
    (0x2100, 0x218F),
    (0x2460, 0x24FF),
    (0x2E80, 0x2FDF),
    (0x3000, 0x3000),
    (0x3200, 0x33FF),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE6F),
    (0xFF00, 0xFFEF),
    (0x1D400, 0x1D7FF),
    (0x1F100, 0x1F1FF),
)
_CJK_RANGES: tuple[tuple[int, int], ...] = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF))


def _strip_wrapping(s: str) -> str:
    """'(1)' -> '1', '1.' -> '1', '(五)' -> '五': the wrapping is decoration, the digit is content."""
    if len(s) >= 3 and s[0] == "(" and s[-1] == ")":
        return s[1:-1]
    if len(s) >= 2 and s[-1] == "." and s[:-1].isdigit():
        return s[:-1]
    return s


def _build() -> tuple[dict[int, int], dict[str, str]]:
    table: dict[int, int] = {}
    expansions: dict[str, str] = {}
    for lo, hi in _NFKC_RANGES:
        for cp in range(lo, hi + 1):
            ch = chr(cp)
            folded = _strip_wrapping(unicodedata.normalize("NFKC", ch)).lower()
            if folded == ch:
                continue
            if len(folded) == 1:
                table[cp] = ord(folded)
            elif folded:
                expansions[ch] = folded
    for cp in range(ord("A"), ord("Z") + 1):
        table[cp] = cp + 32
    # Dingbat and negative circled/squared digits and letters have no NFKC decomposition.
    for base, first in ((0x2776, 1), (0x2780, 1), (0x278A, 1)):
        for i in range(9):
            table[base + i] = ord(str(first + i))
        expansions[chr(base + 9)] = "10"
    for base in (0x1F150, 0x1F170):
        for i in range(26):
            table[base + i] = ord("a") + i
    # Traditional to simplified, character by character from OpenCC's t2s dictionary, so the
    # conversion is a translate (length-preserving) instead of a phrase rewrite per event.
    import opencc  # only when the tables are built, not when they come from the cache

    cc = opencc.OpenCC("t2s")
    for lo, hi in _CJK_RANGES:
        chars = [chr(cp) for cp in range(lo, hi + 1)]
        converted = cc.convert("\n".join(chars)).split("\n")
        if len(converted) != len(chars):
            raise RuntimeError("OpenCC changed the number of lines while building the t2s table")
        for src, dst in zip(chars, converted, strict=True):
            if len(dst) == 1 and dst != src:
                table[ord(src)] = ord(dst)
    # Chinese sentence punctuation stays as it is: rules treat ，and , alike where it matters,
    # and leaving it keeps the common case (Chinese chat) out of the translate step.
    for keep in "，！？；：":
        table.pop(ord(keep), None)
    spec = load_yaml(_DATA.read_text(encoding="utf-8"))
    for variant, canonical in spec["characters"].items():
        table[ord(variant)] = ord(canonical)
    for canonical, variants in spec["phrases"].items():
        for v in variants:
            expansions[v.lower()] = canonical
    return table, expansions


def _built() -> list[Any]:
    table, expansions = _build()
    return [table, expansions]


# Building takes ~0.1 s (NFKC over the ranges, OpenCC over the CJK blocks): kept in clearlive.cache,
# keyed by this file, the variants, the Unicode data and the installed OpenCC.
CHAR_TABLE: dict[int, int]
EXPANSIONS: dict[str, str]
CHAR_TABLE, EXPANSIONS = cached(
    "normalize-tables",
    (
        Path(__file__).read_text(encoding="utf-8"),
        _DATA.read_text(encoding="utf-8"),
        unicodedata.unidata_version,
        sys.version,
        module_stamp("opencc"),
    ),
    _built,
)

NUMERAL_DIGITS: dict[int, int] = {
    ord(k): ord(v)
    for k, v in {
        "零": "0",
        "〇": "0",
        "洞": "0",
        "一": "1",
        "幺": "1",
        "壹": "1",
        "二": "2",
        "两": "2",
        "贰": "2",
        "三": "3",
        "叁": "3",
        "四": "4",
        "肆": "4",
        "五": "5",
        "伍": "5",
        "六": "6",
        "陆": "6",
        "七": "7",
        "柒": "7",
        "拐": "7",
        "八": "8",
        "捌": "8",
        "九": "9",
        "玖": "9",
        "勾": "9",
    }.items()
}
