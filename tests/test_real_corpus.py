"""The real-world corpus (tests/data/real): statements quoted from public sources, split by source.

Its composition is what issue 15 asks for; every line carries its provenance; no source straddles
the split. The detection bars sit just under the figures measured on 2026-12-01 (docs/evaluation.md):
they guard against regression, they are not the issue's targets, which are not met."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from clearlive.model.findings import CATEGORIES
from clearlive.watch.evaluation import evaluate_rules, read_labeled_set

REAL = Path(__file__).parent / "data" / "real"


def test_composition() -> None:
    records = [*read_labeled_set(REAL / "dev.jsonl"), *read_labeled_set(REAL / "test.jsonl")]
    violations = [r for r in records if r.categories]
    compliant = [r for r in records if not r.categories]
    assert len(records) >= 500 and len(violations) >= 300 and len(compliant) >= 200
    assert sum(r.hard_negative for r in compliant) >= len(compliant) / 3
    assert {c for r in violations for c in r.categories} == set(CATEGORIES)
    langs = Counter((r.lang or "")[:2] for r in records)
    assert langs["zh"] / len(records) >= 0.60 and langs["en"] / len(records) >= 0.25


def test_every_line_has_provenance_and_no_source_straddles_the_split() -> None:
    urls = {}
    for side in ("dev", "test"):
        for r in read_labeled_set(REAL / f"{side}.jsonl"):
            assert r.source is not None and r.source.url.startswith("http") and r.source.licence, r.id
            assert r.source.provenance in {"quoted", "paraphrased-from-case"}, r.id
            assert urls.setdefault(r.source.url, side) == side, r.source.url


def test_every_line_under_the_corpus_folder_names_its_source() -> None:
    """The review's decisions and the left-out lines are real statements too: each keeps its source."""
    for path in sorted(REAL.glob("*.jsonl")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            source = json.loads(line).get("source") or {}
            assert source.get("url", "").startswith("http") and source.get("licence"), (path.name, lineno)


def test_detection_on_the_real_test_split_does_not_regress() -> None:
    # The first batch keeps the bar it was given when it was the whole split.
    first = evaluate_rules(REAL / "test.jsonl", batch=1)
    assert first.violations == 252 and first.compliant == 242
    assert first.detection_rate >= 0.36, (first.caught, first.violations)
    assert first.false_alarm_rate <= 0.08, (first.alarmed, first.compliant)
    # The second and third batches, collected after the rules were tuned, keep the bar the three
    # batches were given together.
    later = [evaluate_rules(REAL / "test.jsonl", batch=b) for b in (2, 3)]
    caught = first.caught + sum(r.caught for r in later)
    violations = first.violations + sum(r.violations for r in later)
    alarmed = first.alarmed + sum(r.alarmed for r in later)
    compliant = first.compliant + sum(r.compliant for r in later)
    assert (violations, compliant) == (385, 333)
    assert caught / violations >= 0.34, (caught, violations)
    assert alarmed / compliant <= 0.075, (alarmed, compliant)
    # The whole split with the fourth batch (session 9), measured before anything was changed for it:
    # 147/460 caught, 25/383 false alarms; 146/460 after `make model` recalibrated on dev (docs/evaluation.md).
    # Batches 1-4 keep that bar.
    four = [evaluate_rules(REAL / "test.jsonl", batch=b) for b in (4,)]
    caught += sum(r.caught for r in four)
    violations += sum(r.violations for r in four)
    alarmed += sum(r.alarmed for r in four)
    compliant += sum(r.compliant for r in four)
    assert (violations, compliant) == (460, 383)
    assert caught / violations >= 0.31, (caught, violations)
    assert alarmed / compliant <= 0.07, (alarmed, compliant)
    # The whole split with the fifth batch (session 10): 166/500 caught and 19/433 false alarms with
    # the verifier retrained on dev batches 1-5 (26/433 without it; docs/evaluation.md).
    whole = evaluate_rules(REAL / "test.jsonl")
    assert whole.violations == 500 and whole.compliant == 433
    assert whole.detection_rate >= 0.33, (whole.caught, whole.violations)
    assert whole.false_alarm_rate <= 0.05, (whole.alarmed, whole.compliant)
