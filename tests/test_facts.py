"""Claims against facts: reference prices, scarcity and origin checked against the room's listing."""

from __future__ import annotations

import msgspec

from clearlive.model.events import Event
from clearlive.model.findings import Finding
from clearlive.watch.scan.scanner import ScanConfig, Scanner

T0 = 1_793_534_400_000


def ev(kind: str, t_s: float = 0, **fields: object) -> object:
    return msgspec.convert({"type": kind, "room_id": "r1", "ts": T0 + int(t_s * 1000), **fields}, Event)


def say(t_s: float, text: str, i: int = 0) -> object:
    return ev("utterance", t_s, text=text, id=f"u{t_s}-{i}", speaker="host")


def product(t_s: float = 0, **facts: object) -> object:
    return ev("product", t_s, id=f"p{t_s}", sku="cream-50ml", title="面霜", category="cosmetics", **facts)


def run(events: list) -> list[Finding]:
    scanner = Scanner.from_config(ScanConfig())
    return list(scanner.run(events))


def only(findings: list[Finding], prefix: str) -> list[Finding]:
    return [f for f in findings if f.rule_id.startswith(prefix)]


def test_reference_price_above_seven_day_low() -> None:
    found = only(
        run([product(price=199, lowest_price_7d=199), say(10, "原价一千九百九，今天家人们只要一百九十九")]),
        "facts.price",
    )
    assert len(found) == 1
    f = found[0]
    assert f.category == "price_deception" and f.severity == "high"
    assert f.evidence.text == "原价一千九百九"
    assert f.facts == {
        "claimed_reference_price": 1990.0,
        "lowest_price_7d": 199.0,
        "sku": "cream-50ml",
        "listed_price": 199.0,
        "ratio": 10.0,
    }
    assert f.legal_basis[0].id == "CN-PR-16"


def test_reference_price_matching_history_is_fine() -> None:
    assert not only(run([product(price=199, lowest_price_7d=1990), say(10, "原价一千九百九")]), "facts.price")


def test_claim_before_listing_is_judged_at_the_end() -> None:
    found = only(
        run([say(1, "原价三十九块九，今天九块九"), product(60, price=9.9, lowest_price_7d=9.9)]), "facts.price"
    )
    assert len(found) == 1 and found[0].facts["claimed_reference_price"] == 39.9


def test_eu_thirty_day_rule_for_english() -> None:
    found = only(
        run([product(price=29, lowest_price_30d=29), say(5, "Retail value $300, yours for $39 tonight only")]),
        "facts.price",
    )
    assert len(found) == 1 and found[0].legal_basis[0].id == "EU-PID-6A"
    assert found[0].evidence.text == "Retail value $300"


def test_no_price_facts_no_finding() -> None:
    assert not only(run([product(price=199), say(5, "原价一千九百九")]), "facts.price")


def test_scarcity_against_stock() -> None:
    found = only(run([product(stock=5000), say(5, "库存只剩3件，手慢无")]), "facts.scarcity.stock")
    assert len(found) == 1 and found[0].facts["listing_stock"] == 5000 and found[0].category == "false_scarcity"
    assert not only(run([product(stock=4), say(5, "库存只剩3件")]), "facts.scarcity")


def test_repeated_scarcity_that_never_runs_out() -> None:
    events = [say(0, "最后二十单，拍完下播恢复原价"), say(1800, "最后二十单了家人们"), say(3900, "真的最后二十单")]
    found = only(run(events), "facts.scarcity.repeated")
    assert len(found) == 1 and found[0].facts["claims"] == [20.0, 20.0, 20.0]
    assert len(found[0].event_ids) == 3
    # two claims five minutes apart are not a pattern
    assert not only(run(events[:2]), "facts.scarcity.repeated")


def test_orders_after_only_n_left() -> None:
    events = [say(0, "只剩3单了")]
    events += [
        ev("order", 10 + i, order_id=f"o{i}", user_id=f"b{i}", sku="cream-50ml", qty=1, amount=199) for i in range(8)
    ]
    found = only(run(events), "facts.scarcity.orders_exceed")
    assert len(found) == 1 and found[0].facts == {"claimed_left": 3.0, "ordered_after": 7}


def test_origin_against_listing() -> None:
    found = only(run([product(origin="浙江义乌"), say(5, "这是日本进口的面霜")]), "facts.origin")
    assert len(found) == 1 and found[0].facts["listing_origin"] == "浙江义乌"
    assert not only(run([product(origin="日本大阪"), say(5, "这是日本进口的面霜")]), "facts.origin")
    assert not only(run([product(), say(5, "这是日本进口的面霜")]), "facts.origin")  # no facts: the info rule speaks


def test_traditional_chinese_claims_are_checked() -> None:
    found = only(run([product(price=199, lowest_price_7d=199), say(10, "原價一千九百九")]), "facts.price")
    assert len(found) == 1 and found[0].evidence.text == "原價一千九百九"


def test_brand_claim_against_listing() -> None:
    found = only(run([product(brand="焕颜"), say(5, "这是雅诗兰黛的面霜，专柜同一批货")]), "facts.brand")
    assert len(found) == 1 and found[0].facts == {
        "claimed_brand": "雅诗兰黛",
        "listing_brand": "焕颜",
        "sku": "cream-50ml",
    }
    assert found[0].category == "origin_brand_claim" and found[0].evidence.text == "这是雅诗兰黛的"
    assert not only(run([product(brand="雅诗兰黛"), say(5, "这是雅诗兰黛的面霜")]), "facts.brand")
    assert not only(run([product(brand="焕颜"), say(5, "雅诗兰黛同款平替，便宜一半")]), "facts.brand")  # a comparison
    assert not only(run([product(brand="焕颜"), say(5, "比兰蔻还好用")]), "facts.brand")
    assert not only(run([product(), say(5, "这是雅诗兰黛的面霜")]), "facts.brand")  # no listing brand
    assert len(only(run([product(brand="焕颜"), say(5, "這是雅詩蘭黛的")]), "facts.brand")) == 1  # traditional script


LABEL = ["水", "甘油", "透明质酸钠", "角鲨烷", "苯氧乙醇"]


def test_ingredient_claim_missing_from_label() -> None:
    found = only(run([product(ingredients=LABEL), say(5, "这款面霜添加了烟酰胺，提亮肤色")]), "facts.ingredient")
    assert len(found) == 1
    f = found[0]
    assert f.rule_id == "facts.ingredient.mismatch" and f.severity == "medium"
    assert f.evidence.text == "添加了烟酰胺" and f.facts["claimed_ingredient"] == "烟酰胺"


def test_ingredient_claim_matching_the_label_under_another_name() -> None:
    # 玻尿酸 on camera is 透明质酸钠 on the label
    assert not only(run([product(ingredients=LABEL), say(5, "里面有玻尿酸，补水")]), "facts.ingredient")
    assert not only(run([product(ingredients=LABEL), say(5, "跟玻尿酸比，这个更清爽")]), "facts.ingredient")


def test_free_from_claim_against_the_label() -> None:
    found = only(run([product(ingredients=LABEL), say(5, "零添加防腐剂，孕妇也能用")]), "facts.ingredient")
    assert len(found) == 1 and found[0].severity == "high"
    assert found[0].facts == {"claimed_free_of": "防腐剂", "listed_ingredient": "苯氧乙醇", "sku": "cream-50ml"}
    assert found[0].evidence.text == "零添加防腐剂"
    assert not only(run([product(ingredients=LABEL), say(5, "无香精，敏感肌友好")]), "facts.ingredient")
    en_label = ["water", "glycerin", "fragrance"]
    found = only(run([product(ingredients=en_label), say(5, "It's fragrance-free, great for sensitive skin")]), "facts")
    assert [f.evidence.text for f in found] == ["fragrance-free"]


def test_ingredient_claim_without_a_label_needs_checking() -> None:
    found = only(run([say(5, "精华里富含烟酰胺"), product(60)]), "facts.ingredient")
    assert len(found) == 1 and found[0].rule_id == "facts.ingredient.unverified" and found[0].severity == "info"
