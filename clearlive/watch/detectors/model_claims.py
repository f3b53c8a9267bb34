"""Runs the bundled claims classifier (clearlive/watch/classifiers/claims.py) after the rules.

It speaks only where no rule of the same category fired on the same text, so its findings are
the phrasings the rule packs do not know yet. A model finding quotes the whole text, says its
probability and threshold, carries the legal basis of the rules of its category, and is `low`
severity: a lead for a reviewer, never an automatic verdict.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from clearlive.model.events import EventBase
from clearlive.model.findings import Finding, LegalBasis
from clearlive.watch.claims.speech_acts import counts, speaker_act, text_act
from clearlive.watch.classifiers.claims import ClaimsModel, script_of
from clearlive.watch.detectors.base import RoomState
from clearlive.watch.detectors.declared import DetectorRule
from clearlive.watch.detectors.listing import fact_finding
from clearlive.watch.detectors.model_abuse import ModelAbuseDetector
from clearlive.watch.detectors.textview import TextAnalyzer, TextDetector, TextView
from clearlive.watch.normalize import normalize

TITLES = {
    "absolute_terms": "绝对化用语（模型） / superlative claim (model)",
    "abuse": "辱骂、攻击性言论（模型） / abusive language (model)",
    "efficacy_claim": "功效、医疗用语（模型） / efficacy or medical claim (model)",
    "fabricated_persona": "卖惨、虚假人设（模型） / pity selling (model)",
    "fake_reviews": "好评返现、操纵评价（模型） / review manipulation (model)",
    "impersonation": "冒充专业人士带货（模型） / impersonated professional (model)",
    "induced_tipping": "诱导打赏（模型） / induced tipping (model)",
    "provocation": "拉踩引战（模型） / provocation (model)",
    "pseudo_science": "伪科学、封建迷信（模型） / pseudo-science (model)",
    "soft_porn": "低俗擦边（模型） / sexual innuendo (model)",
}


LEAD_SUGGESTION = (
    "复核原句；确认后可把新说法补进规则包。 / Review the quote; if confirmed, add the phrasing to a rule pack."
)


def model_lead(rule_id: str, title: str, category: str, reads: str) -> DetectorRule:
    """A classifier's lead: low severity, the model's probability as confidence, and the legal basis
    of the loaded pack rules of its category."""
    return DetectorRule(
        id=rule_id,
        title=title,
        category=category,
        severity="low",
        confidence=0.5,  # each finding carries the model's probability instead
        legal_basis=(),
        basis_from_packs=True,
        reads=reads,
        suggestion=LEAD_SUGGESTION,
    )


def basis_by_category(analyzer: TextAnalyzer) -> dict[tuple[str, str], list[LegalBasis]]:
    """The legal basis of a model finding, by (category, script): that of the first rule of its
    category and script in the loaded packs, else of the first code detector rule of its category."""
    from clearlive.watch.detectors.registry import category_basis  # the registry imports this module

    return category_basis(analyzer.ruleset.rules if analyzer.ruleset is not None else ())


class ClaimsModelDetector(TextDetector):
    id = "model.claims"
    verified = True  # a category lead on one sentence (TextDetector)
    # Host speech only: chat is most of a room's events, and scoring every comment would cost the
    # scan most of its throughput (bench/scan.py); comments keep the rules and the abuse model.
    event_types = frozenset({"utterance"})
    # model.abuse is also the trained abuse model's rule id: its declaration has a case for this model.
    RULES = (
        *(
            model_lead(
                f"model.{category}",
                title,
                category,
                f"host speech the bundled claims classifier puts in {category}, where no rule of that category matched",
            )
            for category, title in TITLES.items()
            if category != "abuse"
        ),
        ModelAbuseDetector.MODEL_ABUSE,
    )
    _RULE_OF: ClassVar[dict[str, DetectorRule]] = {r.category: r for r in RULES}

    def __init__(self, model: ClaimsModel, analyzer: TextAnalyzer) -> None:
        self.model = model
        self.analyzer = analyzer  # the view's rule matches: the model speaks where the rules are silent
        self.basis = basis_by_category(analyzer)

    def observe_text(self, event: EventBase, room: RoomState, view: TextView) -> Iterable[Finding]:
        text = view.text
        if not text or not text.strip():
            return ()
        lang = getattr(event, "lang", None)
        predicted = self.model.predict(text, lang, view.normalised)
        if not predicted:
            return ()
        by_rules = {m.rule.spec.category for m in view.matches}
        act = speaker_act(getattr(event, "speaker", None)) or text_act(view.normalised)
        predicted = [p for p in predicted if counts(p[0], act)]
        script = script_of(text, lang)
        out = []
        norm = None
        for category, p, threshold in predicted:
            if category in by_rules or (category == "impersonation" and room.qualifications):
                continue
            norm = norm or normalize(text)
            out.append(
                fact_finding(
                    self._RULE_OF[category],
                    case="claims_model" if category == "abuse" else None,
                    confidence=round(p, 3),
                    ev=event,
                    room=room,
                    norm=norm,
                    span=(0, len(norm.text)),
                    message=f"分类模型判定此句属于“{category}”（概率 {p:.2f}，阈值 {threshold:.2f}），"
                    "规则未命中，请人工复核。"
                    f" / The classifier puts this text in {category} (p = {p:.2f}, threshold {threshold:.2f}); "
                    "no rule matched it, so a reviewer should confirm.",
                    basis=self.basis.get((category, script), []),
                    facts={"model_probability": round(p, 4), "threshold": threshold},
                )
            )
        return out
