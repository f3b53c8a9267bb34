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
