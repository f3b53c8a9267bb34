"""Property: a finding's evidence is the exact slice of the ORIGINAL text, and it is the thing
that fired: the quote on its own fires the same rule (for rules that need no context)."""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from clearlive.model.events import Comment, Utterance
from clearlive.watch.detectors import RoomState, TextRuleDetector
from clearlive.watch.scan.scanner import ScanConfig, build_ruleset

PIECES = [
    "全网最低价",
    "全網最低價",
    "加薇信",
    "加-微-信",
    "加🌹微🌹信",
    "主播傻逼",
    "傻 b",
    "蕞好用",
    "史上最强",
    "①③⑧①②③④⑤⑥⑦⑧",
    "一三八一二三四五六七八",
    "138-1234-5678",
    "ＶＸ：ｌｉｎｇｌｉｎｇ８８",
    "🐧号12345678",
    "www.cheap-bags.top",
    "lowest price anywhere",
    "this is fucking expensive",
    "家人们",
    "，",
    "。",
    " ",
    "\u200b",
    "🌹",
    "最好冷藏",
    "第一次",
    "唯一的缺点",
    "支持微信支付",
    "V领",
    "138元",
    "买不起就滚出我直播间",
    "別在這拍，私我，給你走內部渠道",
    "Link in bio for the real price",
    "ＡＢＣ",
    "①",
    "⑽",
    "一",
]


@cache
def detector() -> TextRuleDetector:
    return TextRuleDetector(build_ruleset(ScanConfig()))


@cache
def needs_context(rule_id: str) -> bool:
    rules = {r.id: r for r in detector().ruleset.rules}
    return rules[rule_id].spec.requires_any is not None


def _findings(text: str, kind: str = "utterance") -> list:
    det = detector()
    room = RoomState("r")
    if kind == "utterance":
        ev = Utterance(room_id="r", ts=0, id="e1", text=text)
    else:
        ev = Comment(room_id="r", ts=0, id="e1", text=text, user_id="u")
    return list(det.observe(ev, room))


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map("".join), st.sampled_from(["utterance", "comment"])
)
def test_evidence_slices_original_text(text: str, kind: str) -> None:
    for f in _findings(text, kind):
        e = f.evidence
        assert 0 <= e.start < e.end <= len(text)
        assert text[e.start : e.end] == e.text
        assert e.text in e.context
        if needs_context(f.rule_id):
            continue  # the quote alone lacks the context words the rule requires beside it
        alone = {g.rule_id for g in _findings(e.text, kind)}
        assert f.rule_id in alone, (text, f.rule_id, e.text)


def test_ids_are_deterministic_and_position_free() -> None:
    a = _findings("家人们，全网最低价")
    b = _findings("家人们，全网最低价")
    assert [f.id for f in a] == [f.id for f in b]
    # the same quote at another position in the same event keeps the same fingerprint
    c = _findings("全网最低价")
    assert [f.id for f in a] == [f.id for f in c]
