"""Evaluate the rules on a labeled set: precision, recall and F1 per category.

A labeled set is JSON Lines, one record per utterance or comment:
    {"id": "zh-eff-001", "text": "...", "event": "utterance", "lang": "zh",
     "categories": ["efficacy_claim"], "before": ["..."], "product": {...}, "qualifications": [...]}
`categories` lists what the text really contains (empty for a hard negative); `before` holds
earlier host lines for rules coupled across events; `product` a listing for fact checks.

The same set may be written as YAML, one file per language and category, which is easier to
write and to review (positives and their near-misses side by side, like a rule's own examples):
    lang: zh
    category: efficacy_claim
    event: utterance            # default for every text in the file
    product: {...}              # optional default listing
    positive:
      - 这款茶能降血糖
      - {text: "...", before: ["..."], also: [absolute_terms]}   # `also`: other categories present
    negative:                   # hard negatives: near-misses of this category, none of it present
      - 这款茶口感清爽
A directory is read whole (every *.jsonl and *.yaml below it).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import yaml
from rich.table import Table

from clearlive.errors import InputError
from clearlive.model.events import TYPE_BY_NAME, EventBase, Product, SessionStart, Utterance
from clearlive.model.findings import CATEGORIES, SEVERITY_RANK
from clearlive.watch.detectors.base import Detector, RoomState
from clearlive.watch.detectors.claims import ClaimFrameDetector
from clearlive.watch.detectors.facts import FACT_DETECTORS
from clearlive.watch.detectors.text_rules import TextRuleDetector
from clearlive.watch.detectors.textview import TextDetector
from clearlive.watch.scan.scanner import ScanConfig, build_ruleset
from clearlive.yamlsafe import load_yaml

T0 = 1_793_534_400_000


class Source(msgspec.Struct, forbid_unknown_fields=True):
    """Where a real statement comes from (tests/data/real): nobody on the project wrote it."""

    url: str
    title: str
    publisher: str
    date: str
    jurisdiction: str
    licence: str
    speaker: str  # host, guest, viewer, brand_post, influencer_post, platform_notice, other
    provenance: str  # quoted (verbatim words) or paraphrased-from-case (the case's own wording of the claim)
    original: str | None = None  # the original publisher and title when `url` is a republication
    collected: str | None = None  # the day the line entered the corpus (measurements compare batches)
    batch: int | None = None  # the collection round (1: the one the rules were first tuned on; later: fresh)


class LabeledText(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    text: str
    categories: list[str]
    event: str = "utterance"
    lang: str | None = None
    before: list[str] = []
    product: dict[str, object] | None = None
    qualifications: list[str] = []
    note: str | None = None
    near: str | None = None  # for a hard negative: the category it nearly belongs to
    source: Source | None = None  # real statements: their provenance
    hard_negative: bool = False  # a compliant text with trigger words, a warning, a quote or a question


@dataclass
class CategoryScore:
    category: str
    tp: int
    fp: int
    fn: int
    positives: int = 0  # texts labeled with the category
    near_misses: int = 0  # hard negatives written for the category
    near_alarms: int = 0  # of those, how many the rules flagged with the category

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95% by default): honest at small n and at 0 or 1,
    where the normal approximation gives intervals of width zero."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass
class RulesEvaluation:
    scores: list[CategoryScore]
    n: int
    errors: list[tuple[str, list[str], list[str]]]  # record id, expected, predicted (when they differ)
    # Statement level, whatever the category: violations with any finding, compliant texts with any.
    violations: int = 0
    caught: int = 0
    compliant: int = 0
    alarmed: int = 0
    hard_negatives: int = 0
    hard_alarmed: int = 0

    @property
    def detection_rate(self) -> float:
        return self.caught / self.violations if self.violations else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return self.alarmed / self.compliant if self.compliant else 0.0


def read_labeled_set(path: Path) -> list[LabeledText]:
    """Read a labeled set: a JSON Lines file, a YAML file, or a directory of both."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in {".jsonl", ".yaml", ".yml"})
        return [rec for f in files for rec in read_labeled_set(f)]
    records = _read_yaml_set(path) if path.suffix in {".yaml", ".yml"} else _read_jsonl_set(path)
    for rec in records:
        unknown = [c for c in [*rec.categories, *([rec.near] if rec.near else [])] if c not in CATEGORIES]
        if unknown or rec.event not in TYPE_BY_NAME:
            raise InputError(f"{path}: {rec.id}: unknown category {unknown} or event type {rec.event!r}")
    return records


_ITEM_KEYS = {"text", "also", "before", "event", "product", "qualifications", "note", "lang"}


def _read_yaml_set(path: Path) -> list[LabeledText]:
    try:
        doc = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("category"), str) or not doc.get("lang"):
        raise InputError(f"{path}: a YAML labeled set needs `lang`, `category`, `positive` and `negative`")
    category, lang = doc["category"], doc["lang"]
    out = []
    for kind in ("positive", "negative"):
        for i, item in enumerate(doc.get(kind) or [], start=1):
            item = {"text": item} if isinstance(item, str) else item
            if not isinstance(item, dict) or not isinstance(item.get("text"), str) or set(item) - _ITEM_KEYS:
                raise InputError(
                    f"{path}: {kind} item {i}: expected a text or a mapping with keys {sorted(_ITEM_KEYS)}"
                )
            also = list(item.get("also") or [])
            fields = {
                "id": f"{lang}-{category}-{kind[0]}{i:02d}",
                "text": item["text"],
                "categories": [category, *also] if kind == "positive" else also,
                "near": category if kind == "negative" else None,
                "event": item.get("event", doc.get("event", "utterance")),
                "lang": item.get("lang", lang),
                "before": list(item.get("before") or []),
                "product": item.get("product", doc.get("product")),
                "qualifications": list(item.get("qualifications") or doc.get("qualifications") or []),
                "note": item.get("note"),
            }
            try:
                out.append(msgspec.convert(fields, LabeledText))
            except msgspec.ValidationError as exc:
                raise InputError(f"{path}: {kind} item {i}: {exc}") from None
    return out


def _read_jsonl_set(path: Path) -> list[LabeledText]:
    out = []
    decoder = msgspec.json.Decoder(LabeledText)
    for lineno, line in enumerate(path.read_bytes().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = decoder.decode(line)
        except msgspec.MsgspecError as exc:
            raise InputError(f"{path}:{lineno}: {exc}") from None
        out.append(rec)
    return out


def _events(rec: LabeledText) -> list[EventBase]:
    events: list[EventBase] = []
    if rec.qualifications:
        events.append(SessionStart(room_id="eval", ts=T0 - 600_000, qualifications=list(rec.qualifications)))
    if rec.product is not None:
        events.append(msgspec.convert({"room_id": "eval", "ts": T0 - 300_000, **rec.product}, Product))
    for i, text in enumerate(rec.before):
        events.append(
            Utterance(room_id="eval", ts=T0 - 10_000 * (len(rec.before) - i), id=f"b{i}", text=text, lang=rec.lang)
        )
    cls = TYPE_BY_NAME[rec.event]
    fields: dict[str, Any] = {
        "room_id": "eval",
        "ts": T0,
        "id": rec.id,
        "lang": rec.lang,
        cls.TEXT_FIELD or "text": rec.text,
    }
    if rec.event == "comment":
        fields["user_id"] = "viewer"
    if rec.event == "product":
        fields["sku"] = "sku"
    events.append(cls(**fields))
    return events


def evaluate_rules(
    path: Path, min_severity: str = "low", config: ScanConfig | None = None, batch: int | None = None
) -> RulesEvaluation:
    """`batch`: only the real statements of that collection round (source.batch)."""
    records = read_labeled_set(path)
    if batch is not None:
        records = [r for r in records if r.source is not None and r.source.batch == batch]
    config = config or ScanConfig()
    text = TextRuleDetector(build_ruleset(config), verifier=config.verifier_model)
    extra: list[Detector] = []
    if config.claims_model is not None:
        from clearlive.watch.classifiers.claims import ClaimsModel
        from clearlive.watch.detectors.model_claims import ClaimsModelDetector

        extra.append(ClaimsModelDetector(ClaimsModel.load(config.claims_model), text.analyzer))
    if config.encoder_model is not None:
        from clearlive.watch.classifiers.encoder import EncoderModel
        from clearlive.watch.detectors.model_encoder import EncoderModelDetector

        extra.append(EncoderModelDetector(EncoderModel.load(config.encoder_model), text.analyzer))
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    positives: Counter[str] = Counter()
    near: Counter[str] = Counter()
    near_alarms: Counter[str] = Counter()
    errors = []
    statement = Counter[str]()
    floor = SEVERITY_RANK[min_severity]
    for rec in records:
        detectors = [text, *(d() for d in FACT_DETECTORS), ClaimFrameDetector(text.analyzer), *extra]
        room = RoomState("eval")
        predicted: set[str] = set()
        for ev in _events(rec):
            room.update(ev)
            view = text.analyzer.view(ev)  # the shared text work, made once for every text detector
            for det in detectors:
                if ev.__struct_config__.tag not in det.event_types:
                    continue
                found = det.observe_checked(ev, room, view) if isinstance(det, TextDetector) else det.observe(ev, room)
                for f in found:
                    if rec.id in f.event_ids and SEVERITY_RANK[f.severity] >= floor:
                        predicted.add(f.category)
        for det in detectors:
            for f in det.finish(room):
                if rec.id in f.event_ids and SEVERITY_RANK[f.severity] >= floor:
                    predicted.add(f.category)
        expected = set(rec.categories)
        positives.update(expected)
        if expected:
            statement["violations"] += 1
            statement["caught"] += bool(predicted)
        else:
            statement["compliant"] += 1
            statement["alarmed"] += bool(predicted)
            statement["hard_negatives"] += rec.hard_negative
            statement["hard_alarmed"] += rec.hard_negative and bool(predicted)
        if rec.near:
            near[rec.near] += 1
            near_alarms[rec.near] += rec.near in predicted
        for c in predicted & expected:
            tp[c] += 1
        for c in predicted - expected:
            fp[c] += 1
        for c in expected - predicted:
            fn[c] += 1
        if predicted != expected:
            errors.append((rec.id, sorted(expected), sorted(predicted)))
    cats = sorted(set(tp) | set(fp) | set(fn) | set(near))
    scores = [CategoryScore(c, tp[c], fp[c], fn[c], positives[c], near[c], near_alarms[c]) for c in cats]
    return RulesEvaluation(scores, len(records), errors, **statement)


def micro(ev: RulesEvaluation) -> CategoryScore:
    """All categories pooled: the overall precision and recall of the rules."""
    return CategoryScore(
        "all (micro)",
        *(
            sum(getattr(s, name) for s in ev.scores)
            for name in ("tp", "fp", "fn", "positives", "near_misses", "near_alarms")
        ),
    )


def _with_interval(successes: int, n: int) -> str:
    lo, hi = wilson(successes, n)
    return f"{successes / n:.2f} [{lo:.2f}-{hi:.2f}]" if n else "-"


def rules_table(title: str, ev: RulesEvaluation) -> Table:
    table = Table(title=f"detection on {title} ({ev.n} texts)", header_style="bold")
    for col in ("category", "P [95% CI]", "R [95% CI]", "F1", "TP", "FP", "FN", "pos", "near (hit)"):
        table.add_column(col, justify="left" if col == "category" else "right", no_wrap=True)
    table.caption = (
        "P precision, R recall, each with its Wilson 95% interval; pos: texts labeled with the category; "
        "near (hit): its hard negatives (flagged)"
    )
    for s in [*ev.scores, micro(ev)]:
        table.add_row(
            s.category,
            _with_interval(s.tp, s.tp + s.fp),
            _with_interval(s.tp, s.tp + s.fn),
            f"{s.f1:.3f}",
            str(s.tp),
            str(s.fp),
            str(s.fn),
            str(s.positives),
            f"{s.near_misses} ({s.near_alarms})",
            style="bold" if s.category == "all (micro)" else None,
        )
    return table


def statement_summary(ev: RulesEvaluation) -> str:
    """Statement level, whatever the category: how many violations got any finding, how many
    compliant texts raised one (a false alarm), with 95% intervals."""
    lines = []
    if ev.violations:
        lines.append(
            f"violations caught (any finding): {ev.caught}/{ev.violations} = {_with_interval(ev.caught, ev.violations)}"
        )
    if ev.compliant:
        lines.append(
            f"false alarms on compliant texts: {ev.alarmed}/{ev.compliant} = {_with_interval(ev.alarmed, ev.compliant)}"
            + (f"; on hard negatives {ev.hard_alarmed}/{ev.hard_negatives}" if ev.hard_negatives else "")
        )
    return "\n".join(lines)
