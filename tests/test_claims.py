"""Claims understood: the claim-frame detector's declared rules run their examples; speech acts keep
warnings, denials, cited phrases and questions from making claims; reference prices and urgency are
judged against the listing when it has the facts and flagged as unverifiable when it does not; every
vocabulary names its sources and licence."""

from __future__ import annotations

from typing import Any

import pytest

from clearlive.model.events import Comment, Product, Utterance
from clearlive.watch.claims.speech_acts import counts, speech_act
from clearlive.watch.claims.vocab import VOCAB_DIR, vocabulary
from clearlive.watch.detectors.claims import declared_rules
from clearlive.watch.normalize import normalize
from clearlive.watch.scan.scanner import ScanConfig, Scanner

SCANNER_CONFIG = ScanConfig(claims_model=None)


def findings_of(text: str, *events: object, event: str = "utterance") -> list:
    scanner = Scanner.from_config(SCANNER_CONFIG)
    said = (
        Comment(room_id="r", ts=1_000, id="u", text=text, user_id="v")
        if event == "comment"
        else Utterance(room_id="r", ts=1_000, id="u", text=text, speaker="host")
    )
    return [f for f in scanner.run([*events, said]) if "u" in f.event_ids]


EXAMPLES = [
    (rule_id, kind, example)
    for rule_id, rule in declared_rules().items()
    for kind in ("match", "no_match")
    for example in rule["examples"][kind]
]  # an example is a text, or a mapping with the text, its event type and the room's listing


@pytest.mark.parametrize(("rule_id", "kind", "example"), EXAMPLES, ids=lambda v: str(v)[:30])
def test_declared_rule_examples(rule_id: str, kind: str, example: str | dict[str, Any]) -> None:
    rule = declared_rules()[rule_id]
    if isinstance(example, str):
        example = {"text": example}
    listed = example.get("product")
    product = [Product(room_id="r", ts=0, sku="s", **listed)] if listed else []
    found = findings_of(example["text"], *product, event=example.get("event", "utterance"))
    if kind == "match":
        # the claim is caught in its category, by this rule or by a rule pack that knew it already
        assert rule["category"] in {f.category for f in found}, (rule_id, example, found)
    else:
        assert rule_id not in {f.rule_id for f in found}, (rule_id, example, found)


def test_every_declared_rule_has_a_legal_basis_per_script_and_both_kinds_of_example() -> None:
    from clearlive.watch.legal import citation_table

    known = citation_table()
    for rule_id, rule in declared_rules().items():
        assert set(rule["legal_basis"]) == {"zh", "en"}, rule_id
        assert all(i in known for ids in rule["legal_basis"].values() for i in ids), rule_id
        assert rule["examples"]["match"] and rule["examples"]["no_match"], rule_id


def test_evidence_quotes_the_original_words() -> None:
    text = "70多歲多種重病老人喝完3瓶就好了"
    found = findings_of(text)
    claim = [f for f in found if f.rule_id == "claims.efficacy.disease"]
    assert claim and claim[0].evidence.text == text[claim[0].evidence.start : claim[0].evidence.end]
    assert claim[0].evidence.text == "重病老人喝完3瓶就好了"
    assert claim[0].legal_basis and claim[0].facts["target"] == "重病"


@pytest.mark.parametrize(
    ("text", "quote", "act"),
    [
        ("警惕“全网最低价”“限量秒杀”等宣传", "全网最低价", "advisory"),
        ("本品不能降血糖", "降血糖", "negated"),
        ("这个能治失眠吗？", "治失眠", "question"),
        ("夸大产品“治疗高血压”“抗癌防癌”等功效", "治疗高血压", "advisory"),
        (
            "This product is not intended to diagnose, treat, cure, or prevent any disease.",
            "prevent any disease",
            "negated",
        ),
        ("Does it cure acne?", "cure acne", "question"),
        ("Are you suffering from arthritis? Take this.", "arthritis", "assert"),  # the pitch's question
        # near-misses that stay assertions
        ("这款茶能降血糖", "降血糖", "assert"),
        ("你想不想三天瘦五斤？", "瘦五斤", "assert"),
        ("形成肌肉记忆，不会反弹", "不会反弹", "assert"),
        ("律师提醒你：不报这个课，财产一分都保不住", "财产一分都保不住", "assert"),
        ("4 STONE IN 15 DAYS NO DIET & EXERCISE", "4 stone", "assert"),
        ("可以解决头晕头痛", "解决头晕", "assert"),  # 可以 ends in 以, which cites only before a quote
        ("以“根治”为噱头销售", "根治", "quoted"),
        ("给您返5元，您给个好评可以吗？", "返5元", "assert"),  # a request, not a question about a claim
        ("这个可以治失眠吗？", "治失眠", "question"),
    ],
)
def test_speech_acts(text: str, quote: str, act: str) -> None:
    norm = normalize(text).text
    i = norm.find(quote.lower())
    assert i >= 0
    assert speech_act(norm, i, i + len(quote)) == act


def test_conduct_is_conduct_whatever_the_speech_act_except_a_warning() -> None:
    assert counts("abuse", "question") and counts("diversion", "negated")
    assert not counts("abuse", "advisory") and not counts("efficacy_claim", "negated")
    assert counts("disclosure", "negated")  # "this is not an ad, code FIT10": the denial is the problem
    norm = normalize("This scammer deserves to be shot").text
    assert speech_act(norm, 5, 12, "abuse") == "assert"  # a topic word is no warning for conduct


def test_a_platform_notice_in_the_room_makes_no_claim() -> None:
    notice = "平台提醒：警惕主播宣称全网最低价、能治疗高血压，请理性消费"
    scanner = Scanner.from_config(SCANNER_CONFIG)
    said_by = {
        speaker: list(scanner.run([Utterance(room_id=speaker, ts=0, id="u", text=notice, speaker=speaker)]))
        for speaker in ("platform", "host")
    }
    assert said_by["platform"] == []
    # the same words from the host: the warning still reads as a warning, so no claim either
    assert not [f for f in said_by["host"] if f.category in {"absolute_terms", "efficacy_claim"}]
    plain = "全网最低价，能降血压"
    found = list(
        Scanner.from_config(SCANNER_CONFIG).run([Utterance(room_id="r", ts=0, id="u", text=plain, speaker="platform")])
    )
    assert found == []  # a platform message is a notice whatever its words


def test_reference_price_is_judged_against_a_listing_with_history_and_flagged_without() -> None:
    claim = "原价959元，今天抢购价199元"
    unverifiable = [f for f in findings_of(claim) if f.rule_id == "claims.price.unverifiable_reference"]
    assert unverifiable and unverifiable[0].severity == "low" and unverifiable[0].category == "price_deception"
    # a listing with a price history: the fact detector judges the claim instead, true or false
    honest = Product(room_id="r", ts=0, sku="s", title="面霜", category="美妆", price=199.0, lowest_price_7d=959.0)
    found = findings_of(claim, honest)
    assert not [f for f in found if f.category == "price_deception" and f.severity != "info"]
    inflated = Product(room_id="r", ts=0, sku="s", title="面霜", category="美妆", price=199.0, lowest_price_7d=299.0)
    found = findings_of(claim, inflated)
    assert {f.rule_id for f in found if f.category == "price_deception" and f.severity != "info"} == {
        "facts.price.reference_above_lowest"
    }


def test_urgency_is_left_to_the_stock_check_when_the_listing_has_stock() -> None:
    assert [f for f in findings_of("最后100单，抓紧拍") if f.rule_id == "claims.scarcity.unverifiable_urgency"]
    stocked = Product(room_id="r", ts=0, sku="s", title="锅", category="厨具", price=99.0, stock=5000)
    found = findings_of("最后100单，抓紧拍", stocked)
    assert not [f for f in found if f.rule_id == "claims.scarcity.unverifiable_urgency"]
    assert [f for f in found if f.category == "false_scarcity"]  # the stock check speaks instead


def test_a_licensed_medicine_may_state_its_indication() -> None:
    from clearlive.model.events import SessionStart

    start = SessionStart(room_id="r", ts=0, qualifications=["国药准字H12345678"])
    assert not [f for f in findings_of("这个药能降血压", start) if f.rule_id.startswith("claims.efficacy")]


def test_every_vocabulary_names_its_sources_and_licence() -> None:
    files = sorted(VOCAB_DIR.glob("*.yaml"))
    assert {p.stem for p in files} >= {"frames", "diseases_zh", "diseases_en", "gifts", "absolute_terms_zh"}
    for path in files:
        doc = vocabulary(path.stem)
        assert doc.get("sources"), path.name
        for source in doc["sources"]:
            assert source.get("licence") or source.get("license"), (path.name, source)
    gifts = vocabulary("gifts")["gifts"]
    assert {g["platform"] for g in gifts} == {"douyin", "tiktok"} and all("value" in g for g in gifts)


# Terms of the regulators' lists that are everyday words or single characters: prohibited in a
# product's NAME (SFDA naming guides), not a claim when a host says them (最近, 全面, 高效的物流);
# 特级 is also a grade of national standards, exempt under SAMR's 2023 guideline (trap F1.4c).
NOT_CLAIMS_ALONE = {"最", "宝", "灵", "精", "高效", "全面", "全方位", "超强", "强力", "特级"}


def test_the_regulators_absolute_terms_are_caught() -> None:
    """Every term with a statutory or regulator basis in vocab/absolute_terms_zh.yaml fires an
    absolute-terms finding when said of a product, unless it is listed above with its reason."""
    missed = []
    for entry in vocabulary("absolute_terms_zh")["terms"]:
        grounded = any(b.startswith(("statute", "regulator")) for b in entry["basis"])
        if not grounded or entry["term"] in NOT_CLAIMS_ALONE:
            continue
        found = findings_of(f"我们这款面霜是{entry['term']}的产品")
        if "absolute_terms" not in {f.category for f in found}:
            missed.append(entry["term"])
    assert not missed
