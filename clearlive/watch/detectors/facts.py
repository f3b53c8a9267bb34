"""Claims checked against facts in the room (taxonomy PR1, PR4, AD3).

The host says a reference price, a stock level or an origin; the room's product listing says
otherwise. These detectors keep the latest listing per room, find the claim in host speech, and
emit a finding whose evidence is the quoted claim plus the numbers it contradicts. A claim made
before any listing was seen waits until the end of the room and is judged then.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from clearlive.cache import cached, module_stamp
from clearlive.model.events import EventBase, Order, Product, Utterance, format_ts
from clearlive.model.findings import Finding
from clearlive.watch.detectors.base import Detector, RoomState
from clearlive.watch.detectors.declared import Case, DetectorRule
from clearlive.watch.detectors.ingredients import IngredientClaimDetector
from clearlive.watch.detectors.listing import ListingTracker, PendingClaim, fact_finding, listing
from clearlive.watch.detectors.metric import event_ms
from clearlive.watch.normalize import normalize
from clearlive.yamlsafe import load_yaml

_CN_NUM = "零一二三四五六七八九十百千万两点"
_NUMBER = rf"(?:[0-9]{{1,3}}(?:,[0-9]{{3}})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?|[{_CN_NUM}]+)"


def parse_amount(text: str) -> float | None:
    """'1990', '1,990.5', '一千九百九', '两万' -> a number; None when it is not one."""
    text = text.replace(",", "")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    import cn2an  # loads on the first spoken amount: most start-ups need none

    try:
        return float(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError, TypeError):
        return None


# ---------------------------------------------------------------------------------------------
# Reference prices: 原价 / 专柜价 / "was $X" against the lowest price of the previous 7 (CN) or
# 30 (EU) days.

_PRICE_CLAIM_RE = re.compile(
    r"(?:(?:原价|专柜价|专柜卖|专柜要|吊牌价|市场价|官方价|日常价|划线价|平时卖|外面卖|指导价|"
    r"retail value|compare at|originally|regular price|normally sells for|msrp|list price|was priced at|store price|"
    r"retail price|valued at|worth|usually)"
    r"(?:是|要|都要|卖|都卖|:|：| of| is)?\s?[¥￥$]?\s?|was \$|was (?=[0-9][0-9.,]* ?(?:dollars)?[^.!?]{0,16}"
    r"(?:now|today|tonight|only|yours|our price|here)))("
    + _NUMBER
    + r")(?:块|元|rmb| ?dollars)?([0-9一二三四五六七八九])?"
)
# Raw-text gates (simplified and traditional spellings): most utterances skip normalisation here.
_PRICE_GATE = re.compile(
    "原价|原價|专柜|專櫃|吊牌|市场价|市場價|官方价|官方價|日常价|日常價|划线|劃線|平时卖|平時賣|外面卖|外面賣|指导价|指導價|"
    "was|retail|compare|originally|regular|normally|msrp|list price|store price|valued|worth|usually",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class FactsConfig:
    """The fact checks' thresholds; a scan passes its own through `ScanConfig.thresholds`."""

    price_tolerance: float = 1.02  # rounding in speech: 199 said for 198.9
    stock_factor: int = 3  # listing stock at least 3x the claim ...
    stock_margin: int = 20  # ... and 20 more contradicts it
    repeat_min: int = 3  # the same claim this many times ...
    repeat_span_ms: int = 10 * 60_000  # ... over at least ten minutes, never running lower


class ReferencePriceDetector(Detector):
    id = "facts.price.reference_above_lowest"
    event_types = frozenset({"utterance"})
    RULES = (
        DetectorRule(
            id=id,
            title="比较价格高于前期最低成交价 / reference price above the prior lowest price",
            category="price_deception",
            severity="medium",
            severities=("high",),  # a reference price twice the lowest or more
            confidence=0.85,
            legal_basis=("CN-PR-16", "CN-PR-19", "CN-LSE-32"),
            cases={"eu": Case(legal_basis=("EU-PID-6A", "US-233"))},  # a listing with a 30-day (EU) lowest only
            examples={
                "match": (
                    {"text": "原价1990，今天直播间只要199", "product": {"price": 199, "lowest_price_7d": 199}},
                    {"text": "It was $80, tonight only $40", "product": {"price": 40, "lowest_price_30d": 40}},
                ),
                "no_match": (
                    {"text": "原价199，今天也是199", "product": {"price": 199, "lowest_price_7d": 199}},
                    {"text": "原价1990，今天只要199", "product": {"price": 199}},  # no price history to judge
                ),
            },
            reads='a reference price said (原价, 专柜价, "was $X") above the listing\'s lowest price of the '
            "previous 7 days (CN) or 30 days (EU)",
            suggestion="用前7日最低成交价作比较价格，或注明比较价格的依据（如“厂商建议零售价”）。"
            " / Compare with the real lowest price of the period, or say what the reference price is.",
        ),
    )

    def __init__(self, config: FactsConfig | None = None) -> None:
        self.config = config or FactsConfig()

    def observe(self, event: EventBase, room: RoomState) -> Iterable[Finding]:
        assert isinstance(event, Utterance)
        if not _PRICE_GATE.search(event.text):
            return ()
        norm = normalize(event.text)
        out = []
        for m in _PRICE_CLAIM_RE.finditer(norm.text):
            value = parse_amount(m.group(1))
            if value is None or value <= 0:
                continue
            if m.group(2) and not m.group(1).replace(".", "").isdigit():
                jiao = parse_amount(m.group(2))  # 三十九块九 -> 39.9
                value += (jiao or 0) / 10
            claim = PendingClaim(event, norm, (m.start(), m.end()), value)
            product = listing(room).current
            if product is None:
                room.slots.setdefault(self.id, []).append(claim)
                continue
            f = self._judge(claim, product, room)
            if f is not None:
                out.append(f)
        return out

    def finish(self, room: RoomState) -> Iterable[Finding]:
        product = listing(room).current
        if product is None:
            return ()
        found = [self._judge(c, product, room) for c in room.slots.pop(self.id, [])]
        return [f for f in found if f is not None]

    def _judge(self, claim: PendingClaim, product: Product, room: RoomState) -> Finding | None:
        eu = product.lowest_price_7d is None and product.lowest_price_30d is not None
        lowest = product.lowest_price_30d if eu else product.lowest_price_7d
        if lowest is None or claim.value <= lowest * self.config.price_tolerance:
            return None
        window = "30" if eu else "7"
        ratio = round(claim.value / lowest, 2)
        return fact_finding(
            self.RULES[0],
            case="eu" if eu else None,
            severity="high" if ratio >= 2 else None,
            ev=claim.ev,
            room=room,
            norm=claim.norm,
            span=claim.span,
            message=(
                f"口播比较价格 {claim.value:g}，而商品 {product.sku} 前{window}日最低成交价为 {lowest:g}（{ratio}倍）："
                f"未注明依据的比较价格不得高于前{window}日最低成交价。 / The stated reference price {claim.value:g} is "
                f"{ratio}x the lowest price of the previous {window} days ({lowest:g})."
            ),
            facts={
                "claimed_reference_price": claim.value,
                f"lowest_price_{window}d": lowest,
                "sku": product.sku,
                "listed_price": product.price,
                "ratio": ratio,
            },
        )


# ---------------------------------------------------------------------------------------------
# Scarcity: 只剩N单 / "only N left" against listing stock, against orders that follow, and
# repeated without ever running out.

_SCARCITY_RE = re.compile(
    r"(?:只剩|仅剩|还剩|就剩|库存只剩|最后)(" + _NUMBER + r")(?:单|件|套|箱|盒|份|个|瓶)"
    r"|only (" + _NUMBER + r") (?:left|remaining)|last (" + _NUMBER + r") (?:units|pieces|orders|left)"
)
_SCARCITY_GATE = re.compile("只剩|仅剩|僅剩|还剩|還剩|就剩|最后|最後|only|last", re.IGNORECASE)


def _scarcity_rule(rule_id: str, reads: str, examples: dict[str, tuple[object, ...]] | None = None) -> DetectorRule:
    return DetectorRule(
        id=rule_id,
        title="虚假限量 / false scarcity",
        category="false_scarcity",
        severity="medium",
        confidence=0.8,
        legal_basis=("CN-OTM-14", "CN-AD-28", "EU-UCPD-AI-7"),
        reads=reads,
        suggestion="只在库存确实有限时说明，并与页面库存一致。/ State real stock levels only.",
        examples=examples or {},
    )


STOCK_CONTRADICTS = _scarcity_rule(
    "facts.scarcity.stock_contradicts",
    '只剩N单 / "only N left" while the listing shows three times N in stock and 20 more',
    {
        "match": (
            {"text": "家人们只剩5单了，抓紧拍", "product": {"stock": 500}},
            {"text": "only 3 left, grab it now", "product": {"stock": 120}},
        ),
        "no_match": ({"text": "家人们只剩5单了，抓紧拍", "product": {"stock": 6}},),
    },
)
REPEATED = _scarcity_rule(
    "facts.scarcity.repeated",
    "the same scarcity claim 3 times or more over 10 minutes, never lower",
)
ORDERS_EXCEED = _scarcity_rule(
    "facts.scarcity.orders_exceed",
    'more orders after "only N left" than N plus the larger of 3 and N',
)


@dataclass
class _ScarcityState:
    claims: list[tuple[int, float, str]] = field(default_factory=list)  # (ts, N, event id)
    reported_repeat: bool = False
    open_claims: list[tuple[PendingClaim, int, list[str]]] = field(default_factory=list)  # claim, orders since, ids


class ScarcityDetector(Detector):
    id = "facts.scarcity"
    event_types = frozenset({"utterance", "order"})
    RULES = (STOCK_CONTRADICTS, REPEATED, ORDERS_EXCEED)

    def __init__(self, config: FactsConfig | None = None) -> None:
        self.config = config or FactsConfig()

    def _state(self, room: RoomState) -> _ScarcityState:
        state = room.slots.get(self.id)
        if state is None:
            state = room.slots[self.id] = _ScarcityState()
        return state

    def observe(self, event: EventBase, room: RoomState) -> Iterable[Finding]:
        state = self._state(room)
        if isinstance(event, Order):
            return self._count_order(event, room, state)
        assert isinstance(event, Utterance)
        if not _SCARCITY_GATE.search(event.text):
            return ()
        norm = normalize(event.text)
        out: list[Finding] = []
        for m in _SCARCITY_RE.finditer(norm.text):
            raw = next(g for g in m.groups() if g)
            n = parse_amount(raw)
            if n is None or n <= 0:
                continue
            claim = PendingClaim(event, norm, (m.start(), m.end()), n)
            state.claims.append((event_ms(event), n, event.id or ""))
            state.open_claims.append((claim, 0, []))
            product = listing(room).current
            cfg = self.config
            if (
                product is not None
                and product.stock is not None
                and product.stock >= max(n * cfg.stock_factor, n + cfg.stock_margin)
            ):
                out.append(
                    self._finding(
                        STOCK_CONTRADICTS,
                        claim,
                        room,
                        f"口播“只剩{n:g}”，商品 {product.sku} 页面库存为 {product.stock}。"
                        f" / Claimed only {n:g} left; the listing shows {product.stock} in stock.",
                        {"claimed_left": n, "listing_stock": product.stock, "sku": product.sku},
                    )
                )
            repeat = self._repeated(state)
            if repeat is not None:
                minutes = (repeat[-1][0] - repeat[0][0]) // 60000
                out.append(
                    self._finding(
                        REPEATED,
                        claim,
                        room,
                        f"同一场直播中{len(repeat)}次声称只剩少量（{', '.join(f'{c[1]:g}' for c in repeat)}），"
                        f"跨越{minutes}分钟，数量从未减少。"
                        f" / The same scarcity claim was made {len(repeat)} times over {minutes} minutes"
                        " and never ran out.",
                        {
                            "claims": [c[1] for c in repeat],
                            "first_ts": format_ts(repeat[0][0]),
                            "last_ts": format_ts(repeat[-1][0]),
                        },
                        extra=[c[2] for c in repeat[:-1]],
                    )
                )
        return out

    def _repeated(self, state: _ScarcityState) -> list[tuple[int, float, str]] | None:
        if state.reported_repeat or len(state.claims) < self.config.repeat_min:
            return None
        claims = sorted(state.claims)
        if claims[-1][0] - claims[0][0] < self.config.repeat_span_ms or claims[-1][1] < claims[0][1]:
            return None
        state.reported_repeat = True  # one finding per room: the pattern, not each repetition
        return claims

    def _count_order(self, order: Order, room: RoomState, state: _ScarcityState) -> list[Finding]:
        out = []
        still = []
        for claim, count, ids in state.open_claims:
            count += order.qty
            ids = [*ids, order.id or ""] if len(ids) < 20 else ids
            if count > claim.value + max(3, claim.value):
                out.append(
                    self._finding(
                        ORDERS_EXCEED,
                        claim,
                        room,
                        f"声称只剩{claim.value:g}后，又成交了{count}件。 / After claiming only {claim.value:g} left, "
                        f"{count} more were ordered.",
                        {"claimed_left": claim.value, "ordered_after": count},
                        extra=ids,
                    )
                )
            else:
                still.append((claim, count, ids))
        state.open_claims = still[-50:]
        return out

    @staticmethod
    def _finding(
        rule: DetectorRule,
        claim: PendingClaim,
        room: RoomState,
        message: str,
        facts: dict[str, object],
        extra: Iterable[str] = (),
    ) -> Finding:
        return fact_finding(
            rule,
            ev=claim.ev,
            room=room,
            norm=claim.norm,
            span=claim.span,
            message=message,
            facts=facts,
            extra_events=extra,
        )


# ---------------------------------------------------------------------------------------------
# Origin: 日本进口 / "imported from Italy" against the listing's origin.

_PLACES = {
    "日本": ("日本", "japan"),
    "韩国": ("韩国", "korea"),
    "法国": ("法国", "france"),
    "美国": ("美国", "usa", "united states"),
    "意大利": ("意大利", "italy"),
    "德国": ("德国", "germany"),
    "澳洲": ("澳洲", "澳大利亚", "australia"),
    "澳大利亚": ("澳洲", "澳大利亚", "australia"),
    "新西兰": ("新西兰", "new zealand"),
    "瑞士": ("瑞士", "switzerland"),
    "英国": ("英国", "uk", "united kingdom", "britain"),
    "泰国": ("泰国", "thailand"),
    "香港": ("香港", "hong kong"),
    "japan": ("日本", "japan"),
    "korea": ("韩国", "korea"),
    "france": ("法国", "france"),
    "usa": ("美国", "usa"),
    "italy": ("意大利", "italy"),
    "germany": ("德国", "germany"),
    "australia": ("澳洲", "澳大利亚", "australia"),
    "switzerland": ("瑞士", "switzerland"),
    "hong kong": ("香港", "hong kong"),
}
_ORIGIN_RE = re.compile(
    r"(日本|韩国|法国|美国|意大利|德国|澳洲|澳大利亚|新西兰|瑞士|英国|泰国|香港)(?:原装)?(?:进口|原装|生产|制造|产的|品牌)"
    r"|(?:imported from|made in) (japan|korea|france|usa|italy|germany|australia|switzerland|hong kong)"
)


_ORIGIN_GATE = re.compile("进口|進口|原装|原裝|生产|生產|制造|製造|产的|產的|品牌|imported|made in", re.IGNORECASE)


class OriginClaimDetector(Detector):
    id = "facts.origin.mismatch"
    event_types = frozenset({"utterance"})
    RULES = (
        DetectorRule(
            id=id,
            title="产地声称与商品信息不符 / origin claim contradicts the listing",
            category="origin_brand_claim",
            severity="medium",
            confidence=0.8,
            legal_basis=("CN-AD-28", "CN-LSE-34", "US-FTCA-5"),
            reads='an origin said (日本进口, "made in Italy") that the listing\'s origin contradicts',
            suggestion="口播产地与商品页面一致，进口商品提供报关或产地证明。/ Say the origin the listing shows.",
            examples={
                "match": ({"text": "这款面霜是日本进口的", "product": {"origin": "中国广东"}},),
                "no_match": (
                    {"text": "这款面霜是日本进口的", "product": {"origin": "日本"}},
                    {"text": "这款面霜是日本进口的", "product": {}},  # no origin on the listing: nothing to compare
                ),
            },
        ),
    )

    def observe(self, event: EventBase, room: RoomState) -> Iterable[Finding]:
        assert isinstance(event, Utterance)
        if not _ORIGIN_GATE.search(event.text):
            return ()
        norm = normalize(event.text)
        out = []
        for m in _ORIGIN_RE.finditer(norm.text):
            place = m.group(1) or m.group(2)
            claim = PendingClaim(event, norm, (m.start(), m.end()), 0)
            product = listing(room).current
            if product is None:
                room.slots.setdefault(self.id, []).append((claim, place))
                continue
            f = self._judge(claim, place, product, room)
            if f is not None:
                out.append(f)
        return out

    def finish(self, room: RoomState) -> Iterable[Finding]:
        product = listing(room).current
        pending = room.slots.pop(self.id, [])
        if product is None:
            return ()
        found = [self._judge(c, place, product, room) for c, place in pending]
        return [f for f in found if f is not None]

    def _judge(self, claim: PendingClaim, place: str, product: Product, room: RoomState) -> Finding | None:
        if not product.origin:
            return None  # no facts: the text rule's info finding asks for a check
        origin = product.origin.lower()
        if any(alias in origin for alias in _PLACES.get(place, (place,))):
            return None
        return fact_finding(
            self.RULES[0],
            ev=claim.ev,
            room=room,
            norm=claim.norm,
            span=claim.span,
            message=f"口播声称产地为“{place}”，商品 {product.sku} 页面产地为“{product.origin}”。 / The host claims "
            f"{place}; the listing says {product.origin}.",
            facts={"claimed_origin": place, "listing_origin": product.origin, "sku": product.sku},
        )


# ---------------------------------------------------------------------------------------------
# Brand: "这是雅诗兰黛的" / "genuine Dior" against the listing's brand. Comparisons (同款, 平替,
# 同厂, 代工, dupe) say the product is NOT that brand and are left to the text rules.

_BRANDS: dict[str, list[str]] = load_yaml(Path(__file__).with_name("brands.yaml").read_text(encoding="utf-8"))
_ALIAS_TO_BRAND = {alias.lower(): brand for brand, aliases in _BRANDS.items() for alias in aliases}
_BRAND_ALT = "|".join(re.escape(a) for a in sorted(_ALIAS_TO_BRAND, key=len, reverse=True))
_BRAND_RE = re.compile(
    rf"(?:这是|这款是|这个是|就是|正品|正宗|原装|genuine |authentic |real |this is )?({_BRAND_ALT})"
    r"(?:的|正品|官方|原装|原厂|家的| original)?(?!\s?(?:同款|平替|同厂|代工|风格|款式|dupe|inspired|style))"
)
# Comparisons and denials say the product is NOT that brand ("雅诗兰黛同款", "不是古驰", "compared to Dior").
_COMPARISON_RE = re.compile(
    r"同款|平替|同厂|代工|风格|dupe|inspired|alternative|比|像|不是|并非|\bnot\b|compared|versus|\bvs\b|than"
)
# Raw-text gate: the aliases as written, in simplified and traditional script, any case.
# (The traditional spellings come from OpenCC, whose first converter takes 50-200 ms to load; they
# are kept in clearlive.cache, keyed by the aliases and the installed OpenCC.)


def _traditional(aliases: list[str]) -> list[str]:
    import opencc  # only when the spellings are built, not when they come from the cache

    s2t = opencc.OpenCC("s2t")
    return [s2t.convert(a) for a in aliases]


_ALIASES = list(_ALIAS_TO_BRAND)
_ALIASES_S2T: list[str] = cached(
    "s2t", (module_stamp("opencc"), "\n".join(_ALIASES)), lambda: _traditional(_ALIASES)
)
_BRAND_GATE = re.compile(
    "|".join(sorted({re.escape(v) for a, t in zip(_ALIASES, _ALIASES_S2T, strict=True) for v in (a, t)})),
    re.IGNORECASE,
)


class BrandClaimDetector(Detector):
    id = "facts.brand.mismatch"
    event_types = frozenset({"utterance"})
    RULES = (
        DetectorRule(
            id=id,
            title="品牌声称与商品信息不符 / brand claim contradicts the listing",
            category="origin_brand_claim",
            severity="high",
            confidence=0.75,
            legal_basis=("CN-AD-28", "CN-LSE-34", "CN-AUCL-9", "US-FTCA-5"),
            reads="a brand named as the product's (这是雅诗兰黛的, \"genuine Dior\") that is not the listing's brand "
            "(comparisons such as 同款, 平替, dupe are not)",
            suggestion="只说商品页面上的真实品牌；不借用他人品牌名。 / Name only the brand on the listing.",
            examples={
                "match": ({"text": "这就是雅诗兰黛的正品", "product": {"brand": "花漾美肌"}},),
                "no_match": (
                    {"text": "雅诗兰黛同款，价格只要零头", "product": {"brand": "花漾美肌"}},
                    {"text": "这就是雅诗兰黛的正品", "product": {"brand": "雅诗兰黛 Estee Lauder"}},
                ),
            },
        ),
    )

    def observe(self, event: EventBase, room: RoomState) -> Iterable[Finding]:
        assert isinstance(event, Utterance)
        product = listing(room).current
        if product is None or not product.brand or not _BRAND_GATE.search(event.text):
            return ()  # no brand on the listing to compare with, or no brand named
        norm = normalize(event.text)
        out = []
        listed = product.brand.lower()
        for m in _BRAND_RE.finditer(norm.text):
            brand = _ALIAS_TO_BRAND[m.group(1)]
            window = norm.text[max(0, m.start() - 12) : m.end() + 6]
            if _COMPARISON_RE.search(window):
                continue  # "雅诗兰黛同款" says it is not Estée Lauder
            if any(alias in listed for alias in _BRANDS[brand]) or brand.lower() in listed:
                continue
            claim = PendingClaim(event, norm, (m.start(), m.end()), 0)
            out.append(
                fact_finding(
                    self.RULES[0],
                    ev=event,
                    room=room,
                    norm=norm,
                    span=claim.span,
                    message=f"口播称商品为“{brand}”，商品 {product.sku} 页面品牌为“{product.brand}”："
                    "涉嫌冒用品牌、虚假宣传。"
                    f" / The host presents the product as {brand}; the listing's brand is {product.brand}.",
                    facts={"claimed_brand": brand, "listing_brand": product.brand, "sku": product.sku},
                )
            )
        return out


FACT_DETECTORS: tuple[type[Detector], ...] = (
    ListingTracker,
    ReferencePriceDetector,
    ScarcityDetector,
    OriginClaimDetector,
    BrandClaimDetector,
    IngredientClaimDetector,
)


def fact_detectors(config: FactsConfig | None = None) -> list[Detector]:
    """The fact detectors of a scan, those with thresholds given `config` (default: the shipped one)."""
    # In FACT_DETECTORS' order: the listing tracker first, and findings of one event in a fixed order.
    return [d(config) if d in (ReferencePriceDetector, ScarcityDetector) else d() for d in FACT_DETECTORS]
