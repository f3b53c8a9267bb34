"""Ingredient claims against the label (taxonomy AD3): "添加了玻尿酸", "fragrance free".

The host says a product contains an ingredient, or is free of one ("无防腐剂", "paraben free");
the listing's `ingredients` (a ClearLive extension of the product event) says otherwise. Aliases
map spoken names to label names (玻尿酸 = 透明质酸钠), so a true claim in other words is not
flagged. With no ingredient list to check against, the claim is an `info` finding: it needs a
look at the label. A bare mention ("跟玻尿酸比") is no claim and is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from clearlive.model.events import EventBase, Product, Utterance
from clearlive.model.findings import Finding
from clearlive.watch.detectors.base import Detector, RoomState
from clearlive.watch.detectors.declared import Case, DetectorRule
from clearlive.watch.detectors.listing import PendingClaim, fact_finding, listing
from clearlive.watch.normalize import normalize
from clearlive.yamlsafe import load_yaml

_LEXICON = load_yaml(Path(__file__).with_name("ingredients.yaml").read_text(encoding="utf-8"))
# alias -> (canonical name, is a class such as 防腐剂)
_ALIASES: dict[str, tuple[str, bool]] = {
    a.lower(): (name, False) for name, al in _LEXICON["ingredients"].items() for a in al
}
_ALIASES.update({a.lower(): (name, True) for name, spec in _LEXICON["classes"].items() for a in spec["aliases"]})
_LABEL_NAMES: dict[str, list[str]] = {name: [a.lower() for a in al] for name, al in _LEXICON["ingredients"].items()}
_CLASS_MEMBERS: dict[str, list[str]] = {n: [m.lower() for m in s["members"]] for n, s in _LEXICON["classes"].items()}


def _alias_pattern(alias: str) -> str:
    # Latin names need word edges ("dha" is not in "dhaka"); Chinese has none to need.
    escaped = re.escape(alias)
    return rf"(?<![a-z]){escaped}(?![a-z])" if alias.isascii() else escaped


_INGREDIENT_RE = re.compile("|".join(_alias_pattern(a) for a in sorted(_ALIASES, key=len, reverse=True)))
# What comes right before the ingredient decides the claim. Free-from first: "不含X" also ends in "含".
_FREE_BEFORE = re.compile(
    r"(?:不含|无|零添加|0添加|零|没有|没加|不添加|未添加|不加|拒绝添加|拒绝)(?:任何|额外|的)?$"
    r"|(?<![a-z])(?:no|zero|without|free of|free from|doesn't contain|does not contain|doesn't have|0%)"
    r"\s(?:added\s|any\s)?$"
)
_FREE_AFTER = re.compile(r"^[\s-]?free(?![a-z])")
_HAS_BEFORE = re.compile(
    r"(?:含有?|添加了?|加了|加入了?|富含|里面有|里有|主打|成分(?:是|有)|配方(?:里)?有|蕴含)[^，。！？,.!?]{0,8}$"
    r"|(?<![a-z])(?:contains?|containing|with|packed with|infused with|rich in|loaded with|made with|has|have|there's|"
    r"added|formulated with)\s[^,.!?]{0,16}$"
)
_GATE = re.compile(
    "含|添加|加了|加入|无|零|有|不加|拒绝|主打|成分|配方|蕴含|contain|with|free|has|have|there's|added|no |without",
    re.IGNORECASE,
)


def _claims(norm_text: str) -> Iterable[tuple[str, bool, bool, tuple[int, int]]]:
    """(canonical, is_class, free_from, span) for each ingredient claim in normalised text."""
    lowered = norm_text.lower()
    for m in _INGREDIENT_RE.finditer(lowered):
        name, is_class = _ALIASES[m.group(0)]
        before = lowered[max(0, m.start() - 18) : m.start()]
        free = _FREE_BEFORE.search(before)
        after = None if free else _FREE_AFTER.search(lowered[m.end() : m.end() + 6])
        if free:
            yield name, is_class, True, (m.start() - len(free.group(0)), m.end())
        elif after:
            yield name, is_class, True, (m.start(), m.end() + after.end())
        elif not is_class and (has := _HAS_BEFORE.search(before)):
            yield name, False, False, (m.start() - len(has.group(0)), m.end())


def _on_label(name: str, is_class: bool, label: list[str]) -> str | None:
    """The listed ingredient that is (or belongs to) `name`, if any."""
    wanted = _CLASS_MEMBERS[name] if is_class else _LABEL_NAMES[name]
    for listed in label:
        low = listed.lower()
        if any(w in low for w in wanted):
            return listed
    return None


UNVERIFIED = DetectorRule(
    id="facts.ingredient.unverified",
    title="成分声称待核实 / ingredient claim to check",
    category="origin_brand_claim",
    severity="info",
    confidence=0.5,
    legal_basis=("CN-AD-28", "US-FTCA-5"),
    reads='an ingredient claim (添加了玻尿酸, "paraben free") in a room whose listing has no ingredient list',
    suggestion="核对商品标签或备案成分表。 / Check the claim against the product label.",
    examples={
        "match": ({"text": "我们这款添加了玻尿酸"},),  # no listing in the room
        "no_match": ({"text": "跟玻尿酸比，这个更清爽"},),  # a mention, no claim
    },
)
MISMATCH = DetectorRule(
    id="facts.ingredient.mismatch",
    title="“不含”声称与成分表矛盾 / free-from claim contradicts the label",
    category="origin_brand_claim",
    severity="high",
    confidence=0.85,
    legal_basis=("CN-AD-28", "CN-LSE-34", "US-FTCA-5"),
    reads="a free-from claim (无防腐剂) whose ingredient is on the listing's label, or a claimed ingredient "
    "(添加了玻尿酸) that is not on it (aliases map spoken names to label names)",
    suggestion="按成分表如实介绍，不作“零添加”“无XX”等与标签不符的声称。 / Describe the label as it is.",
    examples={
        "match": (
            {"text": "我们这款无防腐剂，放心用", "product": {"ingredients": ["水", "甘油", "苯氧乙醇"]}},
            {"text": "我们这款添加了玻尿酸", "product": {"ingredients": ["水", "甘油"]}},
        ),
        "no_match": ({"text": "我们这款添加了玻尿酸", "product": {"ingredients": ["水", "透明质酸钠"]}},),
    },
    cases={
        "missing": Case(
            title="成分声称不在成分表中 / claimed ingredient missing from the label",
            severity="medium",
            confidence=0.75,
        )
    },
)


class IngredientClaimDetector(Detector):
    id = "facts.ingredient.mismatch"
    event_types = frozenset({"utterance"})
    RULES = (UNVERIFIED, MISMATCH)

    def observe(self, event: EventBase, room: RoomState) -> Iterable[Finding]:
        assert isinstance(event, Utterance)
        if not _GATE.search(event.text):
            return ()
        norm = normalize(event.text)
        out = []
        for name, is_class, free, span in _claims(norm.text):
            claim = PendingClaim(event, norm, span, 0)
            product = listing(room).current
            if product is None:
                room.slots.setdefault(self.id, []).append((claim, name, is_class, free))
                continue
            f = self._judge(claim, name, is_class, free, product, room)
            if f is not None:
                out.append(f)
        return out

    def finish(self, room: RoomState) -> Iterable[Finding]:
        product = listing(room).current
        pending: list[tuple[PendingClaim, str, bool, bool]] = room.slots.pop(self.id, [])
        found = [self._judge(claim, name, is_class, free, product, room) for claim, name, is_class, free in pending]
        return [f for f in found if f is not None]

    def _judge(
        self, claim: PendingClaim, name: str, is_class: bool, free: bool, product: Product | None, room: RoomState
    ) -> Finding | None:
        said = claim.norm.text[claim.span[0] : claim.span[1]]
        if product is None or not product.ingredients:
            sku = product.sku if product else None
            return self._finding(
                UNVERIFIED,
                claim,
                room,
                f"口播成分声称“{said}”，但输入中没有商品成分表可供核对。 / The host claims “{said}”; "
                "no ingredient list is in the input to check it against.",
                {"claimed_ingredient": name, "free_from": free, "sku": sku},
            )
        listed = _on_label(name, is_class, product.ingredients)
        if free and listed is not None:
            return self._finding(
                MISMATCH,
                claim,
                room,
                f"口播称“{said}”，而商品 {product.sku} 成分表列有“{listed}”。 / The host says “{said}”; "
                f"the label of {product.sku} lists {listed}.",
                {"claimed_free_of": name, "listed_ingredient": listed, "sku": product.sku},
            )
        if not free and listed is None:
            return self._finding(
                MISMATCH,
                claim,
                room,
                f"口播称“{said}”，但商品 {product.sku} 成分表中没有{name}。 / The host claims “{said}”; "
                f"{name} is not on the label of {product.sku}.",
                {"claimed_ingredient": name, "label": list(product.ingredients), "sku": product.sku},
                case="missing",
            )
        return None

    @staticmethod
    def _finding(
        rule: DetectorRule,
        claim: PendingClaim,
        room: RoomState,
        message: str,
        facts: dict[str, object],
        case: str | None = None,
    ) -> Finding:
        return fact_finding(
            rule, ev=claim.ev, room=room, norm=claim.norm, span=claim.span, message=message, facts=facts, case=case
        )
