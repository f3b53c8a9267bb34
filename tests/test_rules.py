"""Every rule's own examples run as tests; the loader rejects bad packs with file and rule id."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearlive.errors import RuleLoadError
from clearlive.watch.rules import RuleSet, load_rules
from clearlive.watch.rules.selftest import run_examples

PACKS, RULES = load_rules()
RESULTS = run_examples(RuleSet(RULES))


@pytest.mark.parametrize("result", RESULTS, ids=lambda r: f"{r.rule_id}:{r.kind}:{r.text[:24]}")
def test_rule_example(result) -> None:  # type: ignore[no-untyped-def]
    assert result.ok, f"{result.rule_id} {result.kind} {result.text!r}: {result.detail}"


def test_every_rule_has_both_kinds_of_example() -> None:
    for rule in RULES:
        assert rule.spec.examples.match and rule.spec.examples.no_match, rule.id


def test_first_packs_cover_issue_categories_in_both_languages() -> None:
    have = {(lang, r.spec.category) for r in RULES for lang in r.languages}
    for lang in ("zh", "en"):
        for category in ("absolute_terms", "diversion", "abuse"):
            assert (lang, category) in have


def test_unverified_citations_carry_their_mark() -> None:
    for rule in RULES:
        for lb in rule.legal_basis:
            assert lb.mark in ("V", "M", "?")
            assert (lb.mark == "V") == ("unverified" not in lb.citation), lb


GOOD_RULE = """
  - id: zh.test.sample
    title: sample
    category: absolute_terms
    severity: low
    terms: [样例词]
    legal_basis: [CN-AD-9.3]
    message: m
    examples:
      match: [这是样例词]
      no_match: [没有]
"""


def _pack(tmp_path: Path, body: str, name: str = "pack.yaml") -> Path:
    path = tmp_path / name
    path.write_text("pack: test\nlanguage: zh\njurisdiction: CN\nrules:\n" + body, encoding="utf-8")
    return path


def test_user_pack_loads_and_fires(tmp_path: Path) -> None:
    _, rules = load_rules([_pack(tmp_path, GOOD_RULE)])
    assert any(r.id == "zh.test.sample" for r in rules)
    assert all(r.ok for r in run_examples(RuleSet(rules)))


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (("category: absolute_terms", "category: nonsense"), "unknown category"),
        (("severity: low", "severity: urgent"), "unknown severity"),
        (("legal_basis: [CN-AD-9.3]", "legal_basis: [NO-SUCH-LAW]"), "unknown legal-basis"),
        (("terms: [样例词]", "patterns: ['(unclosed']"), "does not compile"),
        (("      no_match: [没有]", "      no_match: []"), "no_match"),
        (("    title: sample", "    title: sample\n    colour: red"), "unknown field"),
    ],
)
def test_bad_rule_is_rejected_naming_file_and_rule(tmp_path: Path, mutation: tuple[str, str], message: str) -> None:
    path = _pack(tmp_path, GOOD_RULE.replace(*mutation))
    with pytest.raises(RuleLoadError) as err:
        load_rules([path], builtin=False)
    assert str(path) in str(err.value)
    assert "zh.test.sample" in str(err.value)
    assert message in str(err.value)


def test_duplicate_rule_ids_are_an_error(tmp_path: Path) -> None:
    a = _pack(tmp_path, GOOD_RULE, "a.yaml")
    b = _pack(tmp_path, GOOD_RULE, "b.yaml")
    with pytest.raises(RuleLoadError, match="duplicate rule id"):
        load_rules([a, b], builtin=False)


def test_allow_list_longer_phrase_beats_shorter_term(tmp_path: Path) -> None:
    from clearlive.watch.normalize import normalize

    ruleset = RuleSet(load_rules(builtin=True)[1])
    hits = {m.rule.id for m in ruleset.matcher.match(normalize("拆开以后最好冷藏"))}
    assert "zh.absolute.superlative" not in hits
    hits = {m.rule.id for m in ruleset.matcher.match(normalize("这款面霜最好用"))}
    assert "zh.absolute.superlative" in hits


def test_a_key_given_twice_in_a_rule_is_an_error(tmp_path: Path) -> None:
    # PyYAML would keep the second `allow:` silently and drop the first.
    text = GOOD_RULE.replace("    legal_basis:", "    allow: [a]\n    allow: [b]\n    legal_basis:", 1)
    assert text != GOOD_RULE
    path = _pack(tmp_path, text, "dup.yaml")
    with pytest.raises(RuleLoadError, match="duplicate key"):
        load_rules([path], builtin=False)
