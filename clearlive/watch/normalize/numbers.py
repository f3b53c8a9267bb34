"""Spoken Chinese numbers to digits, where they are quantities (prices, counts, percentages).

Speech recognition writes the same price as 九十九元 or 99元 from one sentence to the next. Only
numeral runs that are clearly quantities are rewritten: a run of two or more numerals (九十九,
一百九十九), a single numeral followed by a unit (三单, 五折), and 百分之N. Words that merely contain
a numeral keep it (一定, 十分, 万一, 第一): cn2an's own `transform` rewrites those too.
"""

from __future__ import annotations

import re

_NUMERAL = "零〇一二两三四五六七八九十百千万亿"
_UNITS = "元块毛角件单份个人斤克天年月周次折倍号秒岁箱瓶盒套台支条包袋粒片盒"
_RUN_RE = re.compile(f"百分之([{_NUMERAL}点]+)|([{_NUMERAL}][{_NUMERAL}点]*[{_NUMERAL}])|([{_NUMERAL}])(?=[{_UNITS}])")
# Fixed words made of numerals that are no quantity.
_IDIOMS = ("一一", "万一", "万万", "千万", "十一", "一十", "三三两两", "一五一十", "七七八八", "九九")


def _convert(run: str) -> str | None:
    import cn2an  # loads on the first numeral run (cn2an takes ~0.1 s to import; most start-ups need none)

    try:
        value = cn2an.cn2an(run, "smart")
    except (ValueError, KeyError):  # not a well-formed number (e.g. 十十)
        return None
    return str(int(value)) if float(value).is_integer() else str(value)


def _replace(m: re.Match[str]) -> str:
    pct, run, single = m.group(1), m.group(2), m.group(3)
    if pct is not None:
        converted = _convert(pct)
        return f"{converted}%" if converted is not None else m.group(0)
    text = run or single
    following = m.string[m.end() : m.end() + 1]
    if run is not None and run in _IDIOMS and not (following and following in _UNITS):
        return text
    if single == "一" and following == "个":  # 一个 is an article far more often than a count
        return text
    converted = _convert(text)
    return converted if converted is not None else text


def numbers_to_digits(text: str) -> str:
    """九十九元 -> 99元, 百分之五十 -> 50%, 三单 -> 3单; 一定, 十分, 第一 stay."""
    return _RUN_RE.sub(_replace, text)


# English: Whisper writes small numbers as words ("only three left", "twenty nine dollars") and
# larger ones as digits; rules and patterns read digits ('only [0-9]+ left'). Runs of number words
# become digits; a lone "one" stays a word (the one, one of, no one) unless a count follows it.
_EN_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_EN_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_EN_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_EN_WORD = "|".join(sorted([*_EN_UNITS, *_EN_TENS, *_EN_SCALES], key=len, reverse=True))
# A run: number words joined by spaces or hyphens, with "and" only after a scale (two hundred and fifty).
_EN_RUN_RE = re.compile(
    rf"\b(?:{_EN_WORD})(?:(?:[ -]|\s+and\s+(?=(?:{_EN_WORD})\b))(?:{_EN_WORD}))*\b(?!-)",
    re.IGNORECASE,
)
_EN_COUNTS = re.compile(
    r"\s+(?:left|more|units?|pieces?|items?|orders?|bottles?|boxe?s?|packs?|sets?|pairs?|spots?|"
    r"days?|hours?|minutes?|seconds?|weeks?|months?|years?|dollars?|bucks?|pounds?|euros?|cents?|percent|"
    r"stars?|times)\b",
    re.IGNORECASE,
)


def _en_value(words: list[str]) -> int | None:
    """The number of a run of English number words, or None if it is not one number (two three)."""
    total, current, last = 0, 0, None  # last: the kind of the previous word
    for w in words:
        if w in _EN_UNITS:
            if last in ("unit", "teen") or (last == "tens" and _EN_UNITS[w] >= 10) or (last == "tens" and w == "zero"):
                return None
            current += _EN_UNITS[w]
            last = "teen" if _EN_UNITS[w] >= 10 else "unit"
        elif w in _EN_TENS:
            if last in ("unit", "teen", "tens"):
                return None
            current += _EN_TENS[w]
            last = "tens"
        else:
            scale = _EN_SCALES[w]
            if last in (None, "scale") and not current:
                return None
            if scale == 100:
                if current >= 100:
                    return None
                current *= 100
            else:
                total += max(current, 1) * scale
                current = 0
            last = "scale"
    return total + current


def _en_replace(m: re.Match[str]) -> str:
    words = [w.lower() for w in re.split(r"[ -]+|\s+and\s+", m.group(0)) if w and w.lower() != "and"]
    if words == ["one"] and not _EN_COUNTS.match(m.string, m.end()):
        return m.group(0)
    value = _en_value(words)
    return m.group(0) if value is None else str(value)


# Spoken prices as written ones: "29 dollars" / "29 bucks" -> "$29", "15 euros" -> "€15", and a
# currency said before its number ("pound 130", as a voice reads "£130") -> "£130". "130 pounds"
# stays: a weight as often as a price (lose 10 pounds).
_NUM = r"\d[\d,]*(?:\.\d+)?"
_EN_MONEY = (
    (re.compile(rf"\b({_NUM})\s+(?:dollars?|bucks)\b", re.IGNORECASE), r"$\1"),
    (re.compile(rf"\b({_NUM})\s+euros?\b", re.IGNORECASE), r"€\1"),
    (re.compile(rf"\bpounds?\s+({_NUM})", re.IGNORECASE), r"£\1"),
    (re.compile(rf"\bdollars?\s+({_NUM})\b", re.IGNORECASE), r"$\1"),
)


def english_numbers_to_digits(text: str) -> str:
    """only three left -> only 3 left, twenty-nine dollars -> $29, one hundred and twenty -> 120,
    pound 130 -> £130; 'the one', 'one of', 'no one' and runs that are not one number (two three)
    stay."""
    text = _EN_RUN_RE.sub(_en_replace, text)
    for pattern, written in _EN_MONEY:
        text = pattern.sub(written, text)
    return text
