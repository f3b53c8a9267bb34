"""The learned verifier (clearlive/watch/classifiers/verifier.py): it lowers a word match on a
sentence that reads as compliant to `info`, never raises or removes a finding, judges only the
categories the real corpus teaches it, and is the model `make model` trains from the real dev split.

The sentences are real statements of tests/data/real/dev.jsonl (the verifier's training split; the
ids are given), so these tests check behaviour, not generalisation: docs/evaluation.md measures that
on the test split and on fresh batches."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from clearlive.model.events import Comment, Utterance
from clearlive.watch.classifiers.verifier import MIN_CATEGORY, VIOLATION_QUANTILE, Verifier
from clearlive.watch.scan.scanner import VERIFIER_MODEL, ScanConfig, Scanner

REAL = Path(__file__).parent / "data" / "real"
T0 = 1_764_000_000_000

# real-zh-709fa4f322: a farmer on her harvest (最 is about this year's crop, not a product claim).
HARVEST = "今年是产量最好的一年,一棵树上就能产二三百斤苹果,看着这些果,就像自己的孩子一样。"
# real-en-2546736525: a neutral review request (no incentive, no steering).
REVIEW_REQUEST = "If you enjoyed your product, feel free to leave a review"
# real-zh-b7c2c7787c and real-zh-8bdf831c58: efficacy claims quoted in enforcement cases.
CLAIMS = ("可以解决头晕头痛、手麻脚麻、四肢乏力", "防治高血压、高血脂")


def _scan(texts: list[tuple[str, str]], verifier: bool = True) -> list:
    events = [
        Utterance(room_id="r", ts=T0 + i * 5000, id=f"u{i}", text=text, lang=lang, speaker="host")
        for i, (text, lang) in enumerate(texts)
    ]
    config = ScanConfig(verifier_model=VERIFIER_MODEL if verifier else None)
    return list(Scanner.from_config(config).run(events))


@pytest.mark.parametrize(
    ("text", "lang", "category"), [(HARVEST, "zh", "absolute_terms"), (REVIEW_REQUEST, "en", "fake_reviews")]
)
def test_a_sentence_that_reads_compliant_has_its_word_match_lowered_to_info(
    text: str, lang: str, category: str
) -> None:
    before = [f for f in _scan([(text, lang)], verifier=False) if f.category == category]
    after = {f.id: f for f in _scan([(text, lang)])}
    assert before and all(f.severity != "info" for f in before)  # the words match without the verifier
    for f in before:
        lowered = after[f.id]  # the same finding, same id and evidence: only its severity changes
        assert lowered.severity == "info"
        assert lowered.evidence == f.evidence
        facts = lowered.facts or {}
        assert facts["verifier_probability"] < facts["verifier_threshold"]
        assert "verifier" in lowered.message


def test_claims_keep_their_severity() -> None:
    findings = _scan([(t, "zh") for t in CLAIMS])
    for i in range(len(CLAIMS)):
        mine = [f for f in findings if f.event_ids[0] == f"u{i}" and f.category == "efficacy_claim"]
        assert mine and all(f.severity != "info" for f in mine)


def test_the_verifier_never_raises_or_removes_a_finding() -> None:
    """On every real dev statement: the same finding ids with and without it; a finding changes only
    by being lowered to info, and only in a category the verifier judges."""
    verifier = Verifier.load()
    records = [json.loads(line) for line in (REAL / "dev.jsonl").read_text(encoding="utf-8").splitlines()]
    events = []
    for i, r in enumerate(records):
        cls = Comment if r["event"] == "comment" else Utterance
        extra = {"user_id": "viewer"} if cls is Comment else {}
        events.append(cls(room_id=f"r{i}", ts=T0 + i * 1000, id=r["id"], text=r["text"], lang=r["lang"], **extra))
    off = {f.id: f for f in Scanner.from_config(ScanConfig(verifier_model=None)).run(list(events))}
    on = {f.id: f for f in Scanner.from_config(ScanConfig()).run(list(events))}
    assert set(on) == set(off)
    changed = [fid for fid in on if on[fid].severity != off[fid].severity]
    assert changed  # it does something on real text
    for fid in changed:
        assert on[fid].severity == "info" and on[fid].category in verifier.categories


def test_thin_categories_are_not_judged() -> None:
    """Only categories with MIN_CATEGORY real violations to learn from are judged: on the thin ones the
    verifier read denied ads and fan raids of the project's own examples as compliant."""
    records = [json.loads(line) for line in (REAL / "dev.jsonl").read_text(encoding="utf-8").splitlines()]
    counts: dict[str, int] = {}
    for r in records:
        for c in r["categories"]:
            counts[c] = counts.get(c, 0) + 1
    judged = set(Verifier.load().categories)
    assert judged == {c for c, n in counts.items() if n >= MIN_CATEGORY}
    assert {"abuse", "diversion", "disclosure", "provocation"}.isdisjoint(judged)


def test_the_bundled_verifier_is_the_one_make_model_trains_from_the_dev_split() -> None:
    pytest.importorskip("sklearn")
    from clearlive.watch.evaluation import read_labeled_set

    trained = Verifier.train(read_labeled_set(REAL / "dev.jsonl"))
    bundled = Verifier.load()
    assert trained.categories == bundled.categories
    assert trained.meta["thresholds"] == bundled.meta["thresholds"]
    for script, model in bundled.scripts.items():
        assert trained.scripts[script].vocabulary == model.vocabulary
        np.testing.assert_allclose(trained.scripts[script].weights, model.weights, rtol=1e-5, atol=1e-6)
    assert trained.meta["violation_quantile"] == VIOLATION_QUANTILE
