"""Runs the opt-in sentence-encoder model (clearlive/watch/classifiers/encoder.py) after the rules.

It scores host speech only, and speaks only where no rule (other than an `info` one) matched the
same utterance, so its findings are sentences the rule packs and their phrasings do not know. A
finding quotes the whole utterance, says the violation probability, its threshold and the
probability of the category it names, carries the legal basis of the rules of that category, and
is `low` severity: a learned-model lead for a reviewer, never a verdict.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from clearlive.errors import RuleLoadError
from clearlive.model.events import EventBase
from clearlive.model.findings import CATEGORIES, Finding
from clearlive.watch.claims.speech_acts import counts, speaker_act, text_act
from clearlive.watch.classifiers.claims import script_of
from clearlive.watch.classifiers.encoder import EncoderModel
from clearlive.watch.detectors.base import RoomState
from clearlive.watch.detectors.declared import DetectorRule
from clearlive.watch.detectors.listing import fact_finding
from clearlive.watch.detectors.model_claims import basis_by_category, model_lead
from clearlive.watch.detectors.textview import TextAnalyzer, TextDetector, TextView
from clearlive.watch.normalize import normalize

# A lead's title in both interface languages (the desk shows the reader's half; the names are the
# desk catalogue's category names).
_CATEGORY_TITLES = {
    "absolute_terms": ("绝对化用语", "absolute terms"),
    "efficacy_claim": ("功效宣称", "efficacy claim"),
    "price_deception": ("价格欺诈", "price deception"),
    "false_scarcity": ("虚假稀缺", "false scarcity"),
    "origin_brand_claim": ("产地或品牌宣称", "origin or brand claim"),
    "fabricated_persona": ("虚构人设", "fabricated persona"),
    "impersonation": ("冒充身份", "impersonation"),
    "pseudo_science": ("伪科学", "pseudo-science"),
    "soft_porn": ("低俗色情", "sexual content"),
    "diversion": ("站外导流", "diversion off-platform"),
    "abuse": ("辱骂", "abuse"),
    "provocation": ("挑衅引战", "provocation"),
    "induced_tipping": ("诱导打赏", "induced tipping"),
    "fake_data": ("数据造假", "fake data"),
    "disclosure": ("未作披露", "missing disclosure"),
    "fake_reviews": ("虚假评价", "fake reviews"),
}


class EncoderModelDetector(TextDetector):
    id = "model.encoder"
    # Host speech only: chat is most of a room's events, and the encoder embeds a few hundred texts
    # a second, so scoring every comment would cost the scan most of its throughput.
    event_types = frozenset({"utterance"})
    # A trained encoder model names any category of the contract its training set had examples of.
    RULES = tuple(
        model_lead(
            f"model.encoder.{category}",
            f"学习模型线索：{_CATEGORY_TITLES[category][0]} / learned-model lead: {_CATEGORY_TITLES[category][1]}",
            category,
            f"host speech the opt-in sentence-encoder model (`--encoder-model`) flags as {category}, "
            "where no rule above info matched",
        )
        for category in CATEGORIES
    )
    _RULE_OF: ClassVar[dict[str, DetectorRule]] = {r.category: r for r in RULES}

    def __init__(self, model: EncoderModel, analyzer: TextAnalyzer) -> None:
        unknown = sorted(set(model.categories) - set(self._RULE_OF))
        if unknown:
            raise RuleLoadError(
                f"{type(self).__module__}.{type(self).__qualname__}",
                None,
                f"the encoder model names categories outside the contract: {unknown}",
            )
        self.model = model
        self.analyzer = analyzer
        self.basis = basis_by_category(analyzer)

    def observe_text(self, event: EventBase, room: RoomState, view: TextView) -> Iterable[Finding]:
        text = view.text
        if not text or not text.strip():
            return ()
        # Speaks only where the rules are silent: any rule above `info` makes this a known case.
        if any(m.rule.spec.severity != "info" for m in view.matches):
            return ()
        lang = getattr(event, "lang", None)
        s = self.model.score(text, lang)
        if not s.flagged or s.category is None:
            return ()
        category, p, threshold = s.category, s.probability, s.threshold
        # Warnings, denials, cited phrases and questions make no claim (clearlive/watch/claims/speech_acts.py).
        act = speaker_act(getattr(event, "speaker", None)) or text_act(view.normalised)
        if not counts(category, act):
            return ()
        if category == "impersonation" and room.qualifications:
            return ()
        norm = normalize(text)
        return [
            fact_finding(
                self._RULE_OF[category],
                confidence=round(p, 3),
                ev=event,
                room=room,
                norm=norm,
                span=(0, len(norm.text)),
                message=f"句向量学习模型判定此句可能违规（概率 {p:.2f}，阈值 {threshold:.2f}），"
                f"最可能的类别是“{category}”（概率 {s.category_probability:.2f}）；规则未命中，"
                "这只是学习模型给出的线索，请人工复核。"
                f" / A learned sentence-encoder model scores this text as a likely violation "
                f"(p = {p:.2f}, threshold {threshold:.2f}), most likely {category} "
                f"(p = {s.category_probability:.2f}); no rule matched it. This is a learned-model lead "
                "for a reviewer to check, not a verdict.",
                basis=self.basis.get((category, script_of(text, lang)), []),
                facts={
                    "model_probability": round(p, 4),
                    "threshold": round(threshold, 4),
                    "category_probability": round(s.category_probability, 4),
                },
            )
        ]
