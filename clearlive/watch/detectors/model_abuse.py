"""Runs a trained abuse classifier over chat and speech beside the lexicon rules.

A text the model scores at or above its threshold gives one `model.abuse` finding quoting the
whole text; its facts say the probability and which lexicon rules fired on the same text, so a
reviewer sees whether the model, the lexicon or both caught it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from clearlive.model.events import EventBase
from clearlive.model.findings import Finding
from clearlive.watch.detectors.base import RoomState
from clearlive.watch.detectors.declared import Case, DetectorRule
from clearlive.watch.detectors.listing import fact_finding
from clearlive.watch.detectors.textview import TextAnalyzer, TextDetector, TextView
from clearlive.watch.normalize import normalize

if TYPE_CHECKING:
    # scikit-learn (the [train] extra) loads only with a model: the registry imports this module
    from clearlive.watch.classifiers.abuse import AbuseModel


class ModelAbuseDetector(TextDetector):
    id = "model.abuse"
    event_types = frozenset({"utterance", "comment"})
    RULES = (
        MODEL_ABUSE := DetectorRule(
            id=id,
            title="辱骂、攻击性言论（模型） / offensive language (model)",
            category="abuse",
            severity="low",
            severities=("medium",),  # a probability of 0.9 or more
            confidence=0.9,  # each finding carries the model's probability instead
            legal_basis=("CN-CAC-2024", "CN-ANC-14-14", "CN-ECO-7"),
            reads="chat or speech a trained abuse model (`--model`) scores at or above its threshold; also host "
            "speech the bundled claims classifier puts in abuse where no abuse rule matched (case claims_model)",
            # The claims classifier's abuse lead has the same id (model.{category}): one rule, two models.
            cases={
                "claims_model": Case(title="辱骂、攻击性言论（模型） / abusive language (model)", basis_from_packs=True)
            },
            suggestion="删除或屏蔽攻击性评论；主播文明用语。 / Remove offensive chat; keep the language civil.",
        ),
    )

    def __init__(self, model: AbuseModel, analyzer: TextAnalyzer | None = None) -> None:
        self.model = model
        self.analyzer = analyzer  # without one, the findings name no lexicon rule

    def observe_text(self, event: EventBase, room: RoomState, view: TextView) -> Iterable[Finding]:
        text = view.text
        if not text or not text.strip():
            return ()
        p = self.model.probabilities([text])[0]
        if p < self.model.threshold:
            return ()
        lexicon: list[str] = []
        if self.analyzer is not None:
            lexicon = sorted({m.rule.id for m in view.matches if m.rule.spec.category == "abuse"})
        norm = normalize(text)
        return [
            fact_finding(
                self.RULES[0],
                severity="medium" if p >= 0.9 else None,
                confidence=round(p, 3),
                ev=event,
                room=room,
                norm=norm,
                span=(0, len(norm.text)),
                message=f"分类模型判定为攻击性言论（概率 {p:.2f}）"
                + (f"；词表规则也命中：{', '.join(lexicon)}" if lexicon else "；词表规则未命中，请人工复核")
                + f" / The classifier scores this text offensive (p = {p:.2f}).",
                facts={"model_probability": round(p, 4), "threshold": self.model.threshold, "lexicon_rules": lexicon},
            )
        ]
