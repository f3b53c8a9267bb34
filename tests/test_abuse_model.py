"""The trainable abuse classifier on COLD (read from ../shared/data, never copied here)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from clearlive.errors import InputError
from clearlive.watch.classifiers.abuse import AbuseModel, read_labeled_csv


def _cold_dir() -> Path:
    """COLD lives in ../shared/data/cold beside the checkout (read there, never copied in);
    CLEARLIVE_SHARED points elsewhere, and /work/shared is this workplace's copy."""
    candidates = [
        Path(os.environ["CLEARLIVE_SHARED"]) if os.environ.get("CLEARLIVE_SHARED") else None,
        Path(__file__).resolve().parents[2] / "shared",
        Path("/work/shared"),
    ]
    for base in candidates:
        if base is not None and (base / "data" / "cold" / "train.csv").exists():
            return base / "data" / "cold"
    return Path("../shared/data/cold")


COLD = _cold_dir()
pytestmark = pytest.mark.skipif(not (COLD / "train.csv").exists(), reason="COLD data not found (set CLEARLIVE_SHARED)")


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from clearlive.cli.main import main

    out = tmp_path_factory.mktemp("model") / "abuse.skops"
    code = main(
        [
            "train",
            "abuse",
            "--data",
            str(COLD / "train.csv"),
            "--text-col",
            "TEXT",
            "--label-col",
            "label",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    return out


def test_dev_macro_f1_reaches_the_bar(model_path: Path) -> None:
    texts, labels = read_labeled_csv(COLD / "dev.csv", "TEXT", "label")
    evaluation = AbuseModel.load(model_path).evaluate(texts, labels)
    assert evaluation.n == 6431
    assert evaluation.macro_f1 >= 0.78, evaluation
    for c in evaluation.classes:
        assert c.precision >= 0.8 and c.recall >= 0.8, c


def test_eval_command_prints_per_class_scores(run_cli, model_path: Path) -> None:
    code, out, _ = run_cli("eval", "--data", COLD / "dev.csv", "--model", model_path)
    assert code == 0 and "1 offensive" in out and "macro" in out


def test_scan_with_model_says_which_fired(run_cli, model_path: Path, tmp_path: Path) -> None:
    chat = tmp_path / "chat.jsonl"
    rows = [
        {"type": "comment", "room_id": "r", "ts": 1, "user_id": "a", "text": "河南人都是骗子"},
        {"type": "comment", "room_id": "r", "ts": 2, "user_id": "b", "text": "你个傻逼懂什么"},
        {"type": "comment", "room_id": "r", "ts": 3, "user_id": "c", "text": "今天的橙子很甜"},
    ]
    chat.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    code, out, _ = run_cli("scan", chat, "--model", model_path)
    findings = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    model_hits = {f["evidence"]["text"]: f for f in findings if f["rule_id"] == "model.abuse"}
    assert "河南人都是骗子" in model_hits  # regional hate: the model catches what the lexicon has no word for
    assert model_hits["河南人都是骗子"]["facts"]["lexicon_rules"] == []
    assert "你个傻逼懂什么" in model_hits and model_hits["你个傻逼懂什么"]["facts"]["lexicon_rules"] == [
        "zh.abuse.profanity"
    ]
    assert not any(f["evidence"]["text"] == "今天的橙子很甜" for f in findings)


def test_bad_training_input_names_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("TEXT,label\n好的,0\n滚,yes\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.csv:3: field `label`"):
        read_labeled_csv(bad, "TEXT", "label")
    with pytest.raises(InputError, match="needs columns"):
        read_labeled_csv(bad, "text", "label")


def test_a_foreign_file_is_not_loaded(tmp_path: Path) -> None:
    junk = tmp_path / "m.skops"
    junk.write_bytes(b"not a model")
    with pytest.raises(InputError, match="not a ClearLive model"):
        AbuseModel.load(junk)
