"""A trainable abuse classifier: character n-gram TF-IDF and logistic regression.

Texts are normalised exactly as the rules see them (width, case, traditional to simplified,
evasions) before vectorising, so 傻 b and 傻逼 look alike to the model. Models are saved with
skops, which loads only trusted scikit-learn types (no arbitrary pickle code).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from clearlive.errors import InputError
from clearlive.extras import require
from clearlive.watch.normalize import normalize

# scikit-learn and skops are the [train] extra: say so instead of an ImportError.
require("train", "the abuse classifier (clearlive train abuse, scan --model)", "sklearn", "skops")

import skops.io as sio  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import precision_recall_fscore_support  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

FORMAT = "clearlive-abuse-model/1"
MAX_TEXT_CHARS = 2000


def read_labeled_csv(path: Path, text_col: str, label_col: str) -> tuple[list[str], list[int]]:
    """Texts and 0/1 labels from a CSV such as COLD's (columns TEXT and label)."""
    texts: list[str] = []
    labels: list[int] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames is None or text_col not in reader.fieldnames or label_col not in reader.fieldnames:
                raise InputError(f"{path}: needs columns {text_col!r} and {label_col!r}; has {reader.fieldnames}")
            for row in reader:
                label = (row[label_col] or "").strip()
                if label not in ("0", "1"):
                    raise InputError(f"{path}:{reader.line_num}: field `{label_col}`: expected 0 or 1, got {label!r}")
                texts.append(row[text_col] or "")
                labels.append(int(label))
    except OSError as exc:
        raise InputError(f"{path}: {exc}") from None
    if len(set(labels)) < 2:
        raise InputError(f"{path}: needs examples of both classes")
    return texts, labels


def prepare(texts: list[str]) -> list[str]:
    return [normalize(t[:MAX_TEXT_CHARS]).text for t in texts]


@dataclass
class ClassScores:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Evaluation:
    classes: list[ClassScores]
    macro_f1: float
    n: int


class AbuseModel:
    def __init__(self, pipeline: Pipeline, threshold: float = 0.5, meta: dict[str, object] | None = None) -> None:
        self.pipeline = pipeline
        self.threshold = threshold
        self.meta = meta or {}

    @classmethod
    def train(cls, texts: list[str], labels: list[int], threshold: float = 0.5) -> AbuseModel:
        pipeline = Pipeline(
            [
                # min_df drops one-off n-grams; sublinear tf keeps long comments from dominating.
                ("tfidf", TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True)),
                ("lr", LogisticRegression(C=4.0, max_iter=2000)),
            ]
        )
        pipeline.fit(prepare(texts), labels)
        return cls(pipeline, threshold, {"trained_on": len(texts)})

    def probabilities(self, texts: list[str]) -> list[float]:
        return [float(p[1]) for p in self.pipeline.predict_proba(prepare(texts))]

    def evaluate(self, texts: list[str], labels: list[int]) -> Evaluation:
        predicted = [int(p >= self.threshold) for p in self.probabilities(texts)]
        p, r, f, s = precision_recall_fscore_support(labels, predicted, labels=[0, 1], zero_division=0)
        classes = [
            ClassScores(name, float(p[i]), float(r[i]), float(f[i]), int(s[i]))
            for i, name in enumerate(("0 not offensive", "1 offensive"))
        ]
        return Evaluation(classes, float(sum(f) / 2), len(labels))

    def save(self, path: Path) -> None:
        sio.dump({"format": FORMAT, "pipeline": self.pipeline, "threshold": self.threshold, "meta": self.meta}, path)

    @classmethod
    def load(cls, path: Path) -> AbuseModel:
        if not path.is_file():
            raise InputError(f"{path}: no such model file")
        try:
            blob = sio.load(path, trusted=[])  # only types skops trusts by default: no pickle code runs
        except Exception as exc:  # skops raises several types for foreign or corrupt files
            raise InputError(f"{path}: not a ClearLive model ({exc})") from None
        if not isinstance(blob, dict) or blob.get("format") != FORMAT:
            raise InputError(f"{path}: not a ClearLive abuse model")
        return cls(blob["pipeline"], float(blob["threshold"]), dict(blob.get("meta") or {}))
