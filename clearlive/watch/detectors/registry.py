"""Every rule id a finding can carry: the packs' rules and the rules the code detectors declare.

The code detectors are an explicit list (the order `Scanner.from_config` builds them in); the
classifier detectors are on it even when a scan does not run them, since their rule ids are public
too. `clearlive rules list` and the docs test read this registry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from clearlive.model.findings import LegalBasis
from clearlive.watch.detectors.base import Detector
from clearlive.watch.detectors.declared import DetectorRule, check_rules, pack_basis
from clearlive.watch.legal import citation_table
from clearlive.watch.rules.loader import Rule


def detector_classes() -> tuple[type[Detector], ...]:
    """The code detectors, the classifier ones included (importing them loads their libraries)."""
    from clearlive.watch.detectors.model_abuse import ModelAbuseDetector
    from clearlive.watch.detectors.model_claims import ClaimsModelDetector
    from clearlive.watch.detectors.model_encoder import EncoderModelDetector

    return (*rule_detector_classes(), ClaimsModelDetector, ModelAbuseDetector, EncoderModelDetector)


def rule_detector_classes() -> tuple[type[Detector], ...]:
    """The code detectors that are not classifiers: each of their rules cites its own legal basis."""
    from clearlive.watch.detectors.botchat import TemplatedChatDetector
    from clearlive.watch.detectors.brushing import OrderBrushingDetector
    from clearlive.watch.detectors.claims import ClaimFrameDetector
    from clearlive.watch.detectors.facts import FACT_DETECTORS
    from clearlive.watch.detectors.fraudar import FraudarDetector
    from clearlive.watch.detectors.likes import LikeFarmDetector
    from clearlive.watch.detectors.lockstep import LockstepDetector
    from clearlive.watch.detectors.raids import FanRaidDetector
    from clearlive.watch.detectors.viewers import ViewerCurveDetector

    return (
        *FACT_DETECTORS,
        ClaimFrameDetector,
        OrderBrushingDetector,
        FraudarDetector,
        ViewerCurveDetector,
        LikeFarmDetector,
        TemplatedChatDetector,
        FanRaidDetector,
        LockstepDetector,
    )


@dataclass(frozen=True, slots=True)
class ListedRule:
    """A declared rule as `rules list` shows it, with the legal basis resolved to citations."""

    rule: DetectorRule
    detector: str  # module.Class (comma-separated when two detectors report the rule)
    legal_basis: tuple[LegalBasis, ...]


def category_basis(pack_rules: Iterable[Rule]) -> dict[tuple[str, str], list[LegalBasis]]:
    """The legal basis a model lead of a category takes, by (category, script): that of the first
    loaded pack rule of its category and script or, for a category no pack covers (fake_data: bought
    viewers and orders are the behaviour detectors' business), that of the first code detector rule
    of the category that cites its own. A finding never goes without one."""
    basis = pack_basis(pack_rules)
    table = citation_table()
    for cls in rule_detector_classes():  # not the classifiers: importing them loads their models' libraries
        for rule in cls.declared():
            if rule.basis_from_packs or not rule.legal_basis:
                continue
            for script in ("zh", "en"):
                basis.setdefault((rule.category, script), [table[i] for i in rule.legal_basis])
    return basis


def listed_rules(pack_rules: Iterable[Rule] = ()) -> list[ListedRule]:
    """Every code detector's declared rules, validated; a rule whose basis comes from the packs
    gets that of the given pack rules of its category (every script's, in order)."""
    pack_rules = list(pack_rules)
    taken: dict[str, tuple[str, DetectorRule | None]] = {r.id: (f"rule pack {r.pack}", None) for r in pack_rules}
    by_category = category_basis(pack_rules)
    table = citation_table()
    sources: dict[str, list[str]] = {}
    listed: dict[str, DetectorRule] = {}
    for cls in detector_classes():
        source = f"{cls.__module__}.{cls.__qualname__}"
        rules = cls.declared()
        check_rules(rules, source, taken)
        for rule in rules:
            listed.setdefault(rule.id, rule)
            sources.setdefault(rule.id, []).append(source)
    out = []
    for rule_id, rule in listed.items():
        found = [table[i] for i in rule.all_basis_ids()]
        if rule.basis_from_packs or any(c.basis_from_packs for c in rule.cases.values()):
            found += [lb for s in ("zh", "en") for lb in by_category.get((rule.category, s), [])]
        basis = tuple({lb.id: lb for lb in found}.values())
        out.append(ListedRule(rule, ", ".join(sources[rule_id]), basis))
    return out
