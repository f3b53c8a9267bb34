"""The bundled claims classifier: rebuilt from the repository's labeled sets, it matches the file
shipped in the package; it speaks only where the rules are silent; it stays out of comments and of
the fact-dependent categories; and its hand-rolled scorer equals scikit-learn's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clearlive.model.events import Comment, SessionStart, Utterance
from clearlive.watch.classifiers.claims import MODEL_CATEGORIES, ClaimsModel, _prepare
from clearlive.watch.evaluation import read_labeled_set
from clearlive.watch.scan.scanner import CLAIMS_MODEL, ScanConfig, Scanner

DATA = Path(__file__).parent / "data" / "eval"
REAL_DEV = Path(__file__).parent / "data" / "real" / "dev.jsonl"  # thresholds calibrated on it
TRAINING_SETS = ("set-2", "zh.jsonl", "en.jsonl", "zh-heldout.jsonl", "en-heldout.jsonl")  # never heldout-3


@pytest.fixture(scope="module")
def bundled() -> ClaimsModel:
    return ClaimsModel.load(CLAIMS_MODEL)


def test_bundled_model_is_rebuilt_from_the_repository(bundled: ClaimsModel) -> None:
    records = [r for name in TRAINING_SETS for r in read_labeled_set(DATA / name)]
    fresh = ClaimsModel.train(records)
    fresh.calibrate(read_labeled_set(REAL_DEV))  # as `make model` does
    assert fresh.meta["thresholds"] == bundled.meta["thresholds"], "run `make model` after changing the sets"
    for script, model in fresh.scripts.items():
        shipped = bundled.scripts[script]
        assert model.categories == shipped.categories
        assert np.allclose(model.weights, shipped.weights, atol=1e-5)


def test_hand_rolled_scoring_equals_scikit_learn(bundled: ClaimsModel) -> None:
    for text in ("我是三甲医院的医生，这个茶大家赶紧拍", "Send a galaxy and I'll call you daddy", "今天天气不错"):
        model = bundled.scripts["zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en"]
        prepared = _prepare([text])[0]
        x = model.vectoriser.transform([prepared])
        reference = 1 / (1 + np.exp(-(np.asarray(x @ model.weights.T.astype(np.float64))[0] + model.intercepts)))
        assert np.allclose(model.probabilities(prepared), reference, atol=1e-9)


def test_fact_dependent_categories_are_not_modelled(bundled: ClaimsModel) -> None:
    modelled = {c for m in bundled.scripts.values() for c in m.categories}
    assert modelled <= set(MODEL_CATEGORIES)
    assert not modelled & {"price_deception", "false_scarcity", "origin_brand_claim", "disclosure", "diversion"}


def run(events: list) -> list:
    return list(Scanner.from_config(ScanConfig()).run(events))


def test_model_speaks_only_where_rules_are_silent() -> None:
    # a new phrasing of a credential pitch that no rule term covers
    text = "我家祖上三代行医，这款膏方各位家人放心入手"
    found = run([Utterance(room_id="r", ts=0, id="u1", text=text, speaker="host")])
    model = [f for f in found if f.rule_id.startswith("model.")]
    assert [f.category for f in model] == ["impersonation"]
    f = model[0]
    assert f.severity == "low" and f.evidence.text == text and f.facts["model_probability"] >= f.facts["threshold"]
    assert f.legal_basis  # the basis of the rules of that category
    # where a rule fires, the model stays quiet
    ruled = run([Utterance(room_id="r", ts=0, id="u2", text="我是医生，这个降压茶大家赶紧下单", speaker="host")])
    assert not [f for f in ruled if f.rule_id.startswith("model.")]


def test_model_leaves_comments_and_qualified_hosts_alone() -> None:
    text = "我家祖上三代行医，这款膏方各位家人放心入手"
    assert not [
        f for f in run([Comment(room_id="r", ts=0, id="c1", text=text, user_id="v")]) if f.rule_id.startswith("model.")
    ]
    qualified = [
        SessionStart(room_id="r", ts=0, id="s", qualifications=["执业医师资格证 110000000001"]),
        Utterance(room_id="r", ts=1, id="u1", text=text, speaker="host"),
    ]
    assert not [f for f in run(qualified) if f.rule_id == "model.impersonation"]


def test_no_claims_model_means_rules_only() -> None:
    text = "我家祖上三代行医，这款膏方各位家人放心入手"
    scanner = Scanner.from_config(ScanConfig(claims_model=None))
    assert not list(scanner.run([Utterance(room_id="r", ts=0, id="u1", text=text, speaker="host")]))


def test_calibration_raises_a_threshold_until_real_flags_are_mostly_violations(bundled: ClaimsModel) -> None:
    # shop small print the English persona head had never seen the like of: at the cross-validated
    # threshold (0.75) it was flagged; calibrated on the real dev split it is not
    model = bundled.scripts["en"]
    text = "Please allow 3 business days for order processing, weekends and holidays are not considered business days."
    prepared = _prepare([text])[0]  # a line of the real dev split
    p = dict(zip(model.categories, model.probabilities(prepared), strict=True))
    threshold = dict(zip(model.categories, model.thresholds, strict=True))
    assert 0.75 <= p["fabricated_persona"] < threshold["fabricated_persona"]

