"""Runs the bundled claims classifier (clearlive/classifiers/claims.py) after the rules.

It speaks only where no rule of the same category fired on the same text, so its findings are
the phrasings the rule packs do not know yet. A model finding quotes the whole text, says its
probability and threshold, carries the legal basis of the rules of its category, and is `low`
severity: a lead for a reviewer, never an automatic verdict.
"""

from __future__ import annotations

from collections.abc import Iterable

from clearlive.claims.speech_acts import counts, speaker_act, text_act
from clearlive.classifiers.claims import ClaimsModel, script_of
from clearlive.detectors.base import RoomState
from clearlive.detectors.listing import fact_finding
from clearlive.detectors.textview import TextAnalyzer, TextDetector, TextView
from clearlive.model.events import EventBase
from clearlive.model.findings import Finding, LegalBasis
from clearlive.normalize import normalize

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


def basis_by_category(analyzer: TextAnalyzer) -> dict[tuple[str, str], list[LegalBasis]]:
    """The legal basis of a model finding, by (category, script): that of the first rule of its
    category and script in the loaded packs."""
    basis: dict[tuple[str, str], list[LegalBasis]] = {}
    for rule in analyzer.ruleset.rules if analyzer.ruleset is not None else ():
        for script in ("zh", "en"):
            if script in rule.languages or "any" in rule.languages:
                basis.setdefault((rule.spec.category, script), list(rule.legal_basis))
    return basis


class ClaimsModelDetector(TextDetector):
    id = "model.claims"
    # Host speech only: chat is most of a room's events, and scoring every comment would cost the
    # scan most of its throughput (bench/scan.py); comments keep the rules and the abuse model.
    event_types = frozenset({"utterance"})

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
                    rule_id=f"model.{category}",
                    title=TITLES[category],
                    category=category,
                    severity="low",
                    confidence=round(p, 3),
                    ev=event,
                    room=room,
                    norm=norm,
                    span=(0, len(norm.text)),
                    message=f"分类模型判定此句属于“{category}”（概率 {p:.2f}，阈值 {threshold:.2f}），"
                    "规则未命中，请人工复核。"
                    f" / The classifier puts this text in {category} (p = {p:.2f}, threshold {threshold:.2f}); "
                    "no rule matched it, so a reviewer should confirm.",
                    suggestion="复核原句；确认后可把新说法补进规则包。"
                    " / Review the quote; if confirmed, add the phrasing to a rule pack.",
                    basis=self.basis.get((category, script), []),
                    facts={"model_probability": round(p, 4), "threshold": threshold},
                )
            )
        return out
