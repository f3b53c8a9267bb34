"""A learned verifier: does a sentence that a rule flagged read like a violation at all?

The rules and claim frames match words; on real statements most of their false alarms are
sentences that carry the words without making the claim: a regulator's notice listing forbidden
phrases, a shop's small print, a reporter's paraphrase (docs/evaluation.md). The speech-act gate
catches the grammatical cases (negation, questions, quotes); this model catches the rest by how the
whole sentence reads. It is one logistic regression per script on character n-grams (the claims
classifier's analysers), trained on REAL statements only (records with a `source`: the real-world
corpus's dev split), violation against compliant.

It never raises a finding. It only lowers one: a text finding of the rules, the claim frames or the
claims classifier on host speech or chat whose sentence scores below the verifier's threshold
becomes `info` (a claim to check, CONTRACT section 3), with the probability in its facts. The
threshold is chosen so that the verifier would lower at most VIOLATION_QUANTILE of the real
violations: the VIOLATION_QUANTILE quantile of their 5-fold out-of-fold probabilities, per script,
and no more than that share of any one category's (the lower of the two). It judges only the
categories with at least MIN_CATEGORY real violations to learn from: on the thin ones (abuse,
diversion, disclosure, provocation in the corpus of 2026-12) it read the project's own examples of
a denied ad or a fan raid as compliant. Scoring needs numpy only; the model is plain arrays (.npz),
never pickled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from clearlive.extras import load
from clearlive.watch.classifiers.claims import ScriptModel, _prepare, _vectoriser, read_arrays, script_of, write_arrays

if TYPE_CHECKING:
    from clearlive.watch.evaluation import LabeledText

FORMAT = "clearlive-verifier-model/1"
BUNDLED = Path(__file__).with_name("verifier-model.npz")
# The share of real violations the verifier may lower (cross-validated): its recall cost, fixed
# before looking at any test figure.
VIOLATION_QUANTILE = 0.02
REGULARISATION = 3.0  # logistic regression's C: the middle of 1-8, which gave the same dev trade-off
MIN_STATEMENTS = 40  # per script and side: fewer and there is no verifier for the script
MIN_CATEGORY = 20  # real violations of a category (both scripts) before the verifier judges its findings


@dataclass(frozen=True, slots=True)
class Verdict:
    probability: float  # that the sentence is a violation
    threshold: float  # below it, a rule's finding on the sentence is lowered to info

    @property
    def reads_compliant(self) -> bool:
        return self.probability < self.threshold


class Verifier:
    def __init__(self, scripts: dict[str, ScriptModel], categories: dict[str, float], meta: dict[str, object]) -> None:
        self.scripts = scripts
        self.categories = categories  # category -> the highest threshold its findings are judged at
        self.meta = meta

    @classmethod
    def train(cls, records: list[LabeledText]) -> Verifier:
        selection = load("sklearn.model_selection", "training the verifier", "train")
        linear = load("sklearn.linear_model", "training the verifier", "train")
        real = [r for r in records if r.source is not None]
        scripts: dict[str, ScriptModel] = {}
        thresholds: dict[str, float] = {}
        counts: dict[str, dict[str, int]] = {}
        held_out: dict[str, list[float]] = {}  # category -> its real violations' out-of-fold probabilities
        for script in ("zh", "en"):
            subset = [r for r in real if script_of(r.text, r.lang) == script]
            y = np.array([bool(r.categories) for r in subset])
            counts[script] = {"violations": int(y.sum()), "compliant": int(len(y) - y.sum())}
            if min(y.sum(), len(y) - y.sum()) < MIN_STATEMENTS:
                continue
            vectoriser = _vectoriser(script)
            x = vectoriser.fit_transform(_prepare(r.text for r in subset))

            def regression() -> object:
                return linear.LogisticRegression(C=REGULARISATION, max_iter=5000, class_weight="balanced")

            folds = selection.StratifiedKFold(5, shuffle=True, random_state=0)
            oof = selection.cross_val_predict(regression(), x, y, cv=folds, method="predict_proba")[:, 1]
            threshold = round(float(np.quantile(oof[y], VIOLATION_QUANTILE)), 4)
            for r, p in zip(subset, oof, strict=True):
                for category in r.categories:
                    held_out.setdefault(category, []).append(float(p))
            fitted = regression().fit(x, y)  # type: ignore[attr-defined]
            thresholds[script] = threshold
            scripts[script] = ScriptModel(
                dict(vectoriser.vocabulary_),
                np.asarray(vectoriser.idf_),
                ["violation"],
                fitted.coef_.astype(np.float32),
                np.asarray(fitted.intercept_, dtype=np.float64),
                np.array([threshold]),
                script,
            )
        ceiling = max(thresholds.values(), default=0.0)
        categories = {
            c: round(min(ceiling, float(np.quantile(ps, VIOLATION_QUANTILE))), 4)
            for c, ps in sorted(held_out.items())
            if len(ps) >= MIN_CATEGORY
        }
        meta = {
            "trained_on": counts,
            "thresholds": thresholds,
            "categories": categories,
            "violation_quantile": VIOLATION_QUANTILE,
        }
        return cls(scripts, categories, meta)

    def probability(
        self, text: str, lang: str | None = None, normalised: str | None = None
    ) -> tuple[float, float] | None:
        """The sentence's probability of being a violation and its script's threshold, or None where
        the verifier has no model for the script. `normalised`: the text already normalised."""
        model = self.scripts.get(script_of(text, lang))
        if model is None or not text.strip():
            return None
        prepared = normalised.lower() if normalised is not None else _prepare([text])[0]
        return float(model.probabilities(prepared)[0]), float(model.thresholds[0])

    def verdict(self, category: str, scored: tuple[float, float]) -> Verdict | None:
        """The verdict on a finding of `category` given the sentence's `probability`; None for a
        category the verifier does not judge."""
        ceiling = self.categories.get(category)
        if ceiling is None:
            return None
        p, threshold = scored
        return Verdict(p, min(threshold, ceiling))

    def save(self, path: Path) -> None:
        arrays: dict[str, np.ndarray] = {
            "format": np.array(FORMAT),
            "meta": np.array(json.dumps(self.meta)),
            "categories": np.array(list(self.categories)),
            "category_thresholds": np.array(list(self.categories.values()), dtype=np.float64),
        }
        for script, m in self.scripts.items():
            vocab = sorted(m.vocabulary.items(), key=lambda kv: kv[1])
            arrays[f"{script}.terms"] = np.array([t for t, _ in vocab])
            arrays[f"{script}.idf"] = m.idf
            arrays[f"{script}.weights"] = m.weights
            arrays[f"{script}.intercepts"] = m.intercepts
            arrays[f"{script}.threshold"] = m.thresholds
        write_arrays(path, arrays)

    @classmethod
    def load(cls, path: Path = BUNDLED) -> Verifier:
        arrays = read_arrays(path, FORMAT, "verifier")
        scripts = {
            script: ScriptModel(
                {t: i for i, t in enumerate(arrays[f"{script}.terms"].tolist())},
                arrays[f"{script}.idf"],
                ["violation"],
                arrays[f"{script}.weights"],
                arrays[f"{script}.intercepts"],
                arrays[f"{script}.threshold"],
                script,
            )
            for script in ("zh", "en")
            if f"{script}.terms" in arrays
        }
        categories = dict(
            zip(
                (str(c) for c in arrays["categories"]),
                (float(t) for t in arrays["category_thresholds"]),
                strict=True,
            )
        )
        return cls(scripts, categories, json.loads(str(arrays["meta"])))
