"""Normalisation folds evasions and keeps an exact map back to the original text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearlive.watch.normalize import normalize

CASES = [
    ("這個產品是全網最低價", "这个产品是全网最低价"),  # traditional to simplified
    ("ＶＸ：ａｂｃ１２３", "vx：abc123"),  # full width and case; Chinese punctuation kept
    ("加-微-信", "加微信"),  # separators between CJK
    ("加🌹微🌹信", "加微信"),  # emoji between CJK
    ("a\u200bb", "ab"),  # zero-width
    ("联系①③⑧①②③④⑤⑥⑦⑧", "联系13812345678"),  # circled digits
    ("一三八一二三四五六七八", "13812345678"),  # Chinese numerals in a long run
    ("壹叁捌壹贰叁肆伍陆柒捌", "13812345678"),  # financial numerals
    ("138-1234-5678", "13812345678"),  # separators between digits
    ("加薇信", "加微信"),  # homophone of 微信
    ("🐧号", "qq号"),  # emoji stand-in
    ("🛰️号", "微信号"),  # satellite emoji = 卫星 = 微信, with its variation selector
    ("蕞好", "最好"),  # variant character
    ("Ⓥ", "v"),  # styled letter
]


@pytest.mark.parametrize(("original", "expected"), CASES)
def test_folds_evasions(original: str, expected: str) -> None:
    assert normalize(original).text == expected


@pytest.mark.parametrize("text", ["第一次来", "一号链接", "三五成群", "第一件半价", "V领毛衣", "138元"])
def test_leaves_ordinary_text_alone(text: str) -> None:
    """Short numeral words keep their meaning: only runs of five or more become digits."""
    assert normalize(text).text == text.lower()


def test_span_maps_back_to_original() -> None:
    n = normalize("加🌹微🌹信 abc")
    i = n.text.index("加微信")
    start, end = n.span(i, i + 3)
    assert n.original[start:end] == "加🌹微🌹信"


ALPHABET = st.sampled_from(
    [
        *"加微信薇威最好全网低价第一次唯缺点主播傻逼滚出去这個產品價錢vVxXqQ0123456789",
        *["①", "③", "⑧", "⑽", "１", "Ｖ", "🌹", "🐧", "🛰️", "\u200b", "-", " ", "·", "，", "。"],
        *["一", "三", "八", "幺"],
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_offset_map_is_monotone_and_in_bounds(text: str) -> None:
    n = normalize(text)
    if n.starts is None:
        assert len(n.text) == len(text)
        return
    assert len(n.starts) == len(n.ends) == len(n.text)
    for i in range(len(n.text)):
        assert 0 <= n.starts[i] < n.ends[i] <= len(text)
        if i:
            assert n.starts[i] >= n.starts[i - 1]
            assert n.ends[i] >= n.ends[i - 1]
