"""The code detectors' rules are declared as data: every rule id a finding can carry is listed by
`clearlive rules list`, and a bad declaration fails when the scanner is built, not mid-scan."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import msgspec
import pytest

from clearlive.demo import inject
from clearlive.demo.generate import generate
from clearlive.errors import RuleLoadError
from clearlive.model.events import Event, EventBase, Product, Utterance
from clearlive.model.findings import Finding
from clearlive.reward.simulation.live_fraud import KINDS, dense_order_block, fraud_room
from clearlive.watch.detectors.base import Detector, RoomState
from clearlive.watch.detectors.declared import Case, DetectorRule, check_detectors
from clearlive.watch.detectors.facts import ReferencePriceDetector
from clearlive.watch.detectors.listing import fact_finding
from clearlive.watch.detectors.registry import detector_classes, listed_rules
from clearlive.watch.detectors.viewers import ViewerConfig, ViewerCurveDetector
from clearlive.watch.normalize import normalize
from clearlive.watch.rules import load_rules
from clearlive.watch.scan.scanner import ScanConfig, Scanner
from clearlive.watch.sources import InputOptions, ReadStats, read_inputs

T0 = 1_793_534_400_000
INTENSITY = {"audience": 3.0, "chat_ring": 30, "like_farm": 300, "brushing": 8, "raid": 20}
ROOT = Path(__file__).resolve().parents[1]


def _scan(rows: list[dict[str, Any]]) -> list[Finding]:
    ordered = sorted(rows, key=lambda e: e["ts"])
    events = [msgspec.convert({**e, "id": f"e{i}"}, Event) for i, e in enumerate(ordered)]
    return Scanner.from_config(ScanConfig(claims_model=None)).run(events)


def _generated_findings(tmp_path: Path) -> list[Finding]:
    """The demo's rooms and the fraud generators: what the suite's scenarios report."""
    found: list[Finding] = []
    scanner = Scanner.from_config(ScanConfig())
    for item in generate(tmp_path / "demo"):
        opts = InputOptions(
            room_id=item.room_id, session_id=item.session_id, anchor_id=item.anchor_id, t0=item.t0, lang=item.lang
        )
        found += scanner.run(read_inputs([str(item.path)], opts, None, ReadStats()))
    for kind in KINDS:
        rooms = fraud_room(random.Random(11), f"{kind}-x", kind, INTENSITY[kind], 1000, 40)
        found += _scan([e for r in rooms for e in r.events])
    found += _scan(dense_order_block(random.Random(3))[0])
    rng = random.Random(2)
    visits = inject.honest_visits(rng, T0, 2000, 40, 10)
    found += _scan(visits + inject.lockstep_farm(rng, T0, 20, [f"room{k}" for k in range(6)]))
    audience = inject.honest_audience(random.Random(42), "v", T0, 40, 2000)
    found += _scan(
        inject.inject_plateau(
            inject.inject_viewer_step(audience, T0 + 20 * 60_000, 2000, 5 * 60_000), T0 + 30 * 60_000, 3 * 60_000
        )
    )
    return found


def test_every_rule_id_a_finding_carries_is_listed(run_cli, tmp_path: Path) -> None:
    code, out, _ = run_cli("rules", "list", "--format", "json")
    assert code == 0
    listed = {row["id"]: row for row in json.loads(out)}
    found = _generated_findings(tmp_path)
    seen = {f.rule_id for f in found}
    # the scenarios reach every family of rules: packs, claim frames, facts and the fraud detectors
    assert {"facts.scarcity.repeated", "fraud.fraudar", "fraud.lockstep", "fraud.viewers.plateau"} <= seen
    assert {r.split(".")[0] for r in seen} >= {"zh", "en", "claims", "facts", "fraud"}
    assert seen <= set(listed), sorted(seen - set(listed))
    for f in found:  # and a finding says what its listed rule says
        row = listed[f.rule_id]
        assert f.category in row.get("categories", [row["category"]]), f.rule_id
        assert {lb.id for lb in f.legal_basis} <= {lb["id"] for lb in row["legal_basis"]}, f.rule_id
        if row["detector"]:
            assert f.severity in row["severities"] and row["reads"], f.rule_id


def test_the_list_shows_every_declared_rule_with_its_legal_basis(run_cli) -> None:
    code, out, _ = run_cli("rules", "list", "--format", "json")
    rows = [r for r in json.loads(out) if r["detector"]]
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    declared = {rule.id for cls in detector_classes() for rule in cls.declared()}
    assert set(ids) == declared and len(declared) >= 60  # 8 facts, 15 claims, 15 fraud, 26 model
    # A lead takes its basis from the pack rules of its category; no pack has a fake_data rule, so
    # the encoder's fake_data lead takes that of the behaviour detectors' fake_data rules.
    assert [r["id"] for r in rows if not r["legal_basis"]] == []
    lead = next(r for r in rows if r["id"] == "model.encoder.fake_data")
    viewers = next(r for r in rows if r["id"].startswith("fraud.") and r["category"] == "fake_data")
    assert lead["legal_basis"][0] in viewers["legal_basis"] or lead["legal_basis"] == viewers["legal_basis"]
    price = next(r for r in rows if r["id"] == "facts.price.reference_above_lowest")
    assert {"CN-PR-16", "EU-PID-6A"} <= {lb["id"] for lb in price["legal_basis"]}
    assert price["severities"] == ["medium", "high"] and price["detector"].endswith("ReferencePriceDetector")
    code, table, _ = run_cli("rules", "list")
    assert code == 0 and f"{len(rows)} declared by detectors)" in table


class _Quoting(Detector):
    """A detector quoting whole utterances under a rule it declares (the declaration is the test's)."""

    id = "test.quoting"
    event_types = frozenset({"utterance"})
    RULES: ClassVar[tuple[DetectorRule, ...]] = ()

    def observe(self, event: EventBase, room: RoomState) -> Iterable[Finding]:
        assert isinstance(event, Utterance)
        norm = normalize(event.text)
        return [fact_finding(self.RULES[0], ev=event, room=room, norm=norm, span=(0, len(norm.text)), facts={})]


def _declaring(**fields: Any) -> type[Detector]:
    base = {
        "id": "test.quoting.rule",
        "title": "t",
        "category": "abuse",
        "severity": "low",
        "confidence": 0.5,
        "legal_basis": ("CN-CAC-2024",),
        "reads": "every utterance",
        "message": "m",
    }
    rule = DetectorRule(**{**base, **fields})
    return type("Declaring", (_Quoting,), {"RULES": (rule,), "__module__": __name__})


def test_a_declared_rule_gives_its_title_severity_and_citations() -> None:
    scanner = Scanner([_declaring()()])
    (f,) = scanner.run([Utterance(room_id="r", ts=1_000, id="u", text="hello")])
    assert (f.rule_id, f.title, f.category, f.severity, f.message) == ("test.quoting.rule", "t", "abuse", "low", "m")
    assert [lb.id for lb in f.legal_basis] == ["CN-CAC-2024"] and f.evidence.text == "hello"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"legal_basis": ("CN-CAC-2024", "XX-NOWHERE-1")}, "unknown legal-basis id(s) ['XX-NOWHERE-1']"),
        ({"cases": {"eu": Case(legal_basis=("EU-NOPE",))}}, "case 'eu': unknown legal-basis id(s) ['EU-NOPE']"),
        ({"legal_basis": ()}, "legal_basis must name at least one citation id"),
        ({"category": "rudeness"}, "unknown category 'rudeness'"),
        ({"severities": ("severe",)}, "unknown severity 'severe'"),
        ({"confidence": 1.5}, "confidence 1.5 is not in (0, 1]"),
        ({"id": "Test Rule"}, "a rule id is lowercase, without spaces"),
        ({"reads": ""}, "a rule needs a title and a `reads` line"),
        ({"id": "fraud.lockstep"}, "rule id already declared by clearlive.watch.detectors.lockstep.LockstepDetector"),
        ({"id": "zh.abuse.profanity"}, "rule id already declared by rule pack zh-CN.abuse"),
    ],
)
def test_a_bad_declaration_fails_when_the_scanner_is_built(fields: dict[str, Any], message: str) -> None:
    config = ScanConfig(claims_model=None)
    with pytest.raises(RuleLoadError) as err:
        Scanner([*Scanner.from_config(config).detectors, _declaring(**fields)()])
    assert str(err.value).startswith("tests.test_detector_rules.Declaring [")
    assert message in str(err.value) and err.value.rule_id == fields.get("id", "test.quoting.rule")


def test_a_finding_can_only_take_what_its_rule_declares() -> None:
    room = RoomState("r")
    ev = Utterance(room_id="r", ts=1_000, id="u", text="原价1990")
    norm = normalize(ev.text)
    (rule,) = ReferencePriceDetector.RULES
    with pytest.raises(KeyError, match="declares no case 'us'"):
        fact_finding(rule, case="us", ev=ev, room=room, norm=norm, span=(0, 2), message="m", facts={})
    with pytest.raises(ValueError, match="declares no severity 'critical'"):
        fact_finding(rule, severity="critical", ev=ev, room=room, norm=norm, span=(0, 2), message="m", facts={})
    with pytest.raises(ValueError, match="declares its legal basis"):
        fact_finding(rule, basis=[], ev=ev, room=room, norm=norm, span=(0, 2), message="m", facts={})
    eu = fact_finding(rule, case="eu", severity="high", ev=ev, room=room, norm=norm, span=(0, 2), message="m", facts={})
    assert [lb.id for lb in eu.legal_basis] == ["EU-PID-6A", "US-233"] and eu.severity == "high"


def test_the_registry_checks_declarations_against_the_packs() -> None:
    _, packs = load_rules([])
    listed = listed_rules(packs)
    model = next(r for r in listed if r.rule.id == "model.efficacy_claim")
    assert model.legal_basis and model.rule.basis_from_packs  # a lead carries its category's pack basis
    abuse = next(r for r in listed if r.rule.id == "model.abuse")  # one rule, two models
    assert "ModelAbuseDetector" in abuse.detector and "ClaimsModelDetector" in abuse.detector
    check_detectors(Scanner.from_config(ScanConfig()).detectors)  # the shipped set is valid


def test_thresholds_are_a_frozen_config_passed_at_construction() -> None:
    rows = inject.inject_plateau(inject.honest_audience(random.Random(9), "p", T0, 30, 3000), T0 + 600_000, 180_000)
    events = [msgspec.convert({**e, "id": f"e{i}"}, Event) for i, e in enumerate(rows)]

    def plateaus(config: ViewerConfig) -> int:
        found = Scanner([ViewerCurveDetector(config)]).run(events)
        return sum(f.rule_id == "fraud.viewers.plateau" for f in found)

    assert plateaus(ViewerConfig()) == 1
    assert plateaus(replace(ViewerConfig(), plateau_samples=10_000)) == 0  # a run that long never comes
    with pytest.raises(AttributeError):
        ViewerConfig().min_jump = 1  # type: ignore[misc]


def test_citations_load_with_the_duplicate_key_guard(tmp_path: Path) -> None:
    from clearlive.watch.legal import CITATIONS_PATH, citation_table, load_citations

    assert load_citations(CITATIONS_PATH) == citation_table()
    twice = tmp_path / "citations.yaml"
    twice.write_text(
        "CN-AD-9:\n  citation: 《广告法》第九条\n  mark: V\nCN-AD-9:\n  citation: 《广告法》第十条\n  mark: V\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleLoadError, match=r"duplicate key\(s\) \['CN-AD-9'\]"):
        load_citations(twice)
    unmarked = tmp_path / "unmarked.yaml"
    unmarked.write_text("CN-AD-9:\n  citation: 《广告法》第九条\n", encoding="utf-8")
    with pytest.raises(RuleLoadError, match=r"\[CN-AD-9\]: needs a citation and a mark"):
        load_citations(unmarked)


EXAMPLES = [
    (rule.id, kind, example)
    for cls in detector_classes()
    if not cls.__module__.endswith(".claims")  # the claim frames' examples: tests/test_claims.py
    for rule in cls.declared()
    for kind in ("match", "no_match")
    for example in rule.examples.get(kind, ())
]


def test_the_fact_rules_carry_examples_of_both_kinds() -> None:
    with_examples = {rule_id for rule_id, _, _ in EXAMPLES}
    assert with_examples >= {
        "facts.price.reference_above_lowest",
        "facts.scarcity.stock_contradicts",
        "facts.origin.mismatch",
        "facts.brand.mismatch",
        "facts.ingredient.mismatch",
        "facts.ingredient.unverified",
    }
    for rule_id in with_examples:
        assert {kind for r, kind, _ in EXAMPLES if r == rule_id} == {"match", "no_match"}, rule_id


@pytest.mark.parametrize(("rule_id", "kind", "example"), EXAMPLES, ids=lambda v: str(v)[:30])
def test_declared_rule_examples(rule_id: str, kind: str, example: dict[str, Any]) -> None:
    """A host line, after the room's listing when the example gives one."""
    listed = example.get("product")
    events: list[EventBase] = (
        [Product(room_id="r", ts=0, sku="s", title="商品", **listed)] if listed is not None else []
    )
    events.append(Utterance(room_id="r", ts=1_000, id="u", text=example["text"], speaker="host"))
    found = {f.rule_id for f in Scanner.from_config(ScanConfig(claims_model=None)).run(events)}
    assert (rule_id in found) is (kind == "match"), (example, found)
