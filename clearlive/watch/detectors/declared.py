"""The rules a code detector reports under, declared as data and checked when the scanner is built.

A code detector (facts, fraud, claim frames, classifiers) names each rule id its findings can carry
in a class attribute `RULES`, the way a rule pack names its rules in YAML: title, category,
severity, confidence, legal basis (citation ids), suggestion and one line saying what fires it.
Whatever a finding of the rule may vary by (a severity by strength, a legal basis by jurisdiction
or script, a category by what the raiders wrote) is declared too, as named `cases`; the call site
names a case and writes only what is particular to that finding: its evidence, message and facts.

`check_rules` validates the declarations up front, like the pack loader: known category and
severity, confidence in (0, 1], citation ids that exist, no id declared twice (nor shared with a
pack rule). Any failure raises one `RuleLoadError` naming the detector and the rule id.
`clearlive rules list` shows these rules beside the packs' (clearlive/watch/detectors/registry.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from clearlive.errors import RuleLoadError
from clearlive.model.findings import CATEGORIES, SEVERITIES, LegalBasis
from clearlive.watch.legal import citation_table

if TYPE_CHECKING:
    from clearlive.watch.detectors.base import Detector
    from clearlive.watch.rules.loader import Rule

_NO_CASES: Mapping[str, Case] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Case:
    """How one kind of finding of a rule differs from the rule's declaration (None: as declared)."""

    title: str | None = None
    category: str | None = None
    severity: str | None = None
    confidence: float | None = None
    legal_basis: tuple[str, ...] | None = None
    basis_from_packs: bool = False  # this case's findings carry the pack rules' basis (see DetectorRule)


@dataclass(frozen=True, slots=True, eq=False)
class DetectorRule:
    """One rule id a code detector's findings can carry. `message` is fixed text for rules whose
    message never varies (the claim frames); the other detectors write theirs per finding.
    `basis_from_packs`: the legal basis is that of the loaded pack rules of the finding's category
    (the classifiers' leads), so `legal_basis` stays empty."""

    id: str
    title: str
    category: str
    severity: str
    confidence: float
    legal_basis: tuple[str, ...]
    reads: str  # one line for the docs and `rules list`: what makes the detector report it
    suggestion: str = ""
    message: str = ""
    evidence_field: str = "text"  # the event field a metric finding's summary stands for
    cases: Mapping[str, Case] = field(default_factory=lambda: _NO_CASES)
    severities: tuple[str, ...] = ()  # other severities a finding may take by its strength
    basis_from_packs: bool = False
    examples: Mapping[str, tuple[object, ...]] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        # read-only views: a declaration cannot be changed after it is checked
        object.__setattr__(self, "cases", MappingProxyType(dict(self.cases)))
        object.__setattr__(self, "examples", MappingProxyType(dict(self.examples)))

    def case(self, name: str | None) -> Case:
        if name is None:
            return Case()
        try:
            return self.cases[name]
        except KeyError:
            raise KeyError(f"rule {self.id} declares no case {name!r} (it has {sorted(self.cases)})") from None

    def title_of(self, case: str | None = None) -> str:
        return self.case(case).title or self.title

    def category_of(self, case: str | None = None) -> str:
        return self.case(case).category or self.category

    def severity_of(self, case: str | None = None, severity: str | None = None) -> str:
        """The case's severity, or `severity` when the finding's strength sets it (it must be declared)."""
        if severity is None:
            return self.case(case).severity or self.severity
        if severity not in self.severities and severity != self.severity:
            raise ValueError(f"rule {self.id} declares no severity {severity!r}")
        return severity

    def confidence_of(self, case: str | None = None) -> float:
        found = self.case(case).confidence
        return self.confidence if found is None else found

    def basis_ids(self, case: str | None = None) -> tuple[str, ...]:
        ids = self.case(case).legal_basis
        return self.legal_basis if ids is None else ids

    def takes_pack_basis(self, case: str | None = None) -> bool:
        return self.basis_from_packs or self.case(case).basis_from_packs

    def basis(self, case: str | None = None) -> list[LegalBasis]:
        """The rule's citations (checked to exist by `check_rules` before any scan)."""
        table = citation_table()
        return [table[i] for i in self.basis_ids(case)]

    # What `rules list` shows: every value a finding of the rule can take.
    def all_categories(self) -> list[str]:
        return _unique([self.category, *(c.category for c in self.cases.values() if c.category)])

    def all_severities(self) -> list[str]:
        found = {self.severity, *self.severities, *(c.severity for c in self.cases.values() if c.severity)}
        return [s for s in SEVERITIES if s in found]

    def all_basis_ids(self) -> list[str]:
        return _unique([*self.legal_basis, *(i for c in self.cases.values() for i in c.legal_basis or ())])


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def pack_basis(rules: Iterable[Rule]) -> dict[tuple[str, str], list[LegalBasis]]:
    """The legal basis of a rule whose basis comes from the packs, by (category, script): that of
    the first loaded pack rule of its category and script."""
    basis: dict[tuple[str, str], list[LegalBasis]] = {}
    for rule in rules:
        for script in ("zh", "en"):
            if script in rule.languages or "any" in rule.languages:
                basis.setdefault((rule.spec.category, script), list(rule.legal_basis))
    return basis


def check_rules(
    rules: Iterable[DetectorRule], source: str, taken: dict[str, tuple[str, DetectorRule | None]] | None = None
) -> None:
    """Validate declarations; `taken` maps ids already declared to where and what (updated in
    place). Two detectors may declare the same rule object (one rule, two ways of finding it)."""
    table = citation_table()
    taken = {} if taken is None else taken
    for rule in rules:
        if rule.id in taken and taken[rule.id][1] is rule:
            continue

        def fail(message: str, rule: DetectorRule = rule) -> RuleLoadError:
            return RuleLoadError(source, rule.id, message)

        if not rule.id or rule.id != rule.id.strip().lower() or " " in rule.id:
            raise fail("a rule id is lowercase, without spaces")
        if rule.id in taken:
            raise fail(f"rule id already declared by {taken[rule.id][0]}")
        if not rule.title or not rule.reads:
            raise fail("a rule needs a title and a `reads` line")
        variants = [("", Case(rule.title, rule.category, rule.severity, rule.confidence, rule.legal_basis))]
        variants += [("", Case(severity=s)) for s in rule.severities]
        variants += [(f"case {name!r}: ", case) for name, case in rule.cases.items()]
        for where, case in variants:
            if case.confidence is not None and not 0 < case.confidence <= 1:
                raise fail(f"{where}confidence {case.confidence} is not in (0, 1]")
            if case.category is not None and case.category not in CATEGORIES:
                raise fail(f"{where}unknown category {case.category!r}")
            if case.severity is not None and case.severity not in SEVERITIES:
                raise fail(f"{where}unknown severity {case.severity!r}")
            if case.legal_basis is not None:
                missing = [cid for cid in case.legal_basis if cid not in table]
                if missing:
                    raise fail(
                        f"{where}unknown legal-basis id(s) {missing}; add them to clearlive/watch/legal/citations.yaml"
                    )
        if rule.basis_from_packs and rule.all_basis_ids():
            raise fail("a rule whose basis comes from the packs declares no legal_basis of its own")
        if not rule.basis_from_packs and not rule.legal_basis:
            raise fail("legal_basis must name at least one citation id")
        taken[rule.id] = (source, rule)


def check_detectors(detectors: Iterable[Detector]) -> None:
    """Validate every detector's declared rules together (the scanner does, when it is built): no
    id twice, none shared with a rule of the packs a text-rule detector among them loaded."""
    from clearlive.watch.detectors.text_rules import TextRuleDetector

    detectors = list(detectors)
    taken: dict[str, tuple[str, DetectorRule | None]] = {
        rule.id: (f"rule pack {rule.pack}", None)
        for d in detectors
        if isinstance(d, TextRuleDetector)
        for rule in d.ruleset.rules
    }
    seen: set[type[Detector]] = set()
    for detector in detectors:
        kind = type(detector)
        if kind in seen:
            continue
        seen.add(kind)
        check_rules(kind.declared(), f"{kind.__module__}.{kind.__qualname__}", taken)
