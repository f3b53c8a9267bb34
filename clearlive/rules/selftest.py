"""Run every rule's own examples (Semgrep-style rule tests): matches must fire, near-misses must not."""

from __future__ import annotations

from dataclasses import dataclass

from clearlive.model.events import TYPE_BY_NAME
from clearlive.normalize import normalize
from clearlive.rules.loader import Rule
from clearlive.rules.matcher import RuleSet
from clearlive.rules.schema import MatchExample, NoMatchExample


@dataclass(frozen=True, slots=True)
class ExampleResult:
    rule_id: str
    kind: str  # "match" or "no_match"
    text: str
    ok: bool
    detail: str


def _fired(ruleset: RuleSet, rule: Rule, text: str, event: str) -> list[str]:
    """Quotes the rule produces for `text`, as the detector would see it in an `event`."""
    if event not in TYPE_BY_NAME:
        return []
    if event not in rule.spec.applies_to:
        return []
    norm = normalize(text)
    index = ruleset.index[rule.id]
    quotes = [m.quote(norm) for m in ruleset.matcher.match(norm, rule_filter={index})]
    return quotes


def run_examples(ruleset: RuleSet) -> list[ExampleResult]:
    results: list[ExampleResult] = []
    for rule in ruleset.rules:
        for ex in rule.spec.examples.match:
            example = ex if isinstance(ex, MatchExample) else MatchExample(text=ex)
            quotes = _fired(ruleset, rule, example.text, example.event)
            ok = bool(quotes) and (example.quote is None or example.quote in quotes)
            detail = f"fired with {quotes}" if quotes else "did not fire"
            if quotes and not ok:
                detail = f"expected quote {example.quote!r}, got {quotes}"
            results.append(ExampleResult(rule.id, "match", example.text, ok, detail))
        for ex in rule.spec.examples.no_match:
            example = ex if isinstance(ex, NoMatchExample) else NoMatchExample(text=ex)
            quotes = _fired(ruleset, rule, example.text, example.event)
            results.append(
                ExampleResult(
                    rule.id,
                    "no_match",
                    example.text,
                    not quotes,
                    f"fired with {quotes}" if quotes else "did not fire",
                )
            )
    return results
