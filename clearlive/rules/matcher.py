"""Compile every rule of a language into one Aho-Corasick automaton and match texts.

One automaton per language holds the deny terms, allow phrases and context terms of all its
rules; each key maps to the (rule, role) pairs that use it. A text is scanned once; rules with
no deny hit cost nothing more. Regular expressions run only when a combined prefilter finds
something, so chat without numbers or links pays for one regex search.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import ahocorasick

from clearlive.normalize import NormalizedText, normalize
from clearlive.rules.loader import Rule

DENY, ALLOW, REQUIRE, EXCLUDE = 0, 1, 2, 3
_ALNUM = re.compile(r"[0-9a-z]")


@dataclass(frozen=True, slots=True)
class RuleMatch:
    rule: Rule
    start: int  # original offsets
    end: int
    norm_start: int
    norm_end: int
    matched: str  # the term or pattern that fired

    def quote(self, norm: NormalizedText) -> str:
        return norm.original[self.start : self.end]


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class LanguageMatcher:
    def __init__(self, language: str, rules: list[Rule]) -> None:
        self.language = language
        self.rules = rules
        entries: dict[str, list[tuple[int, int]]] = defaultdict(list)

        def add(term: str, rule_index: int, role: int) -> None:
            key = normalize(term).text
            if key:
                entries[key].append((rule_index, role))

        for i, rule in enumerate(rules):
            for t in rule.spec.terms:
                add(t, i, DENY)
            for t in rule.spec.allow:
                add(t, i, ALLOW)
            if rule.spec.requires_any:
                for t in rule.spec.requires_any.terms:
                    add(t, i, REQUIRE)
            if rule.spec.excludes:
                for t in rule.spec.excludes.terms:
                    add(t, i, EXCLUDE)
        self.automaton = ahocorasick.Automaton()
        for key, roles in entries.items():
            # Terms that begin or end with a letter or digit must sit on a word boundary there,
            # so 'sb' does not fire inside 'usb' nor 'best' inside 'bestow'.
            self.automaton.add_word(key, (len(key), _is_word_char(key[0]), _is_word_char(key[-1]), tuple(roles), key))
        if entries:
            self.automaton.make_automaton()
        self.has_terms = bool(entries)
        self.regex_rules = [(i, p) for i, r in enumerate(rules) for p in r.patterns]
        self.prefilter = (
            re.compile("|".join(f"(?:{p.pattern})" for _, p in self.regex_rules)) if self.regex_rules else None
        )

    def match(self, norm: NormalizedText, rule_filter: set[int] | None = None) -> list[RuleMatch]:
        text = norm.text
        n = len(text)
        hits: dict[int, list[list[tuple[int, int, str]]]] = {}
        if self.has_terms:
            for end, (size, left_bound, right_bound, roles, key) in self.automaton.iter(text):
                start = end + 1 - size
                if left_bound and start > 0 and _is_word_char(text[start - 1]):
                    continue
                if right_bound and end + 1 < n and _is_word_char(text[end + 1]):
                    continue
                for rule_index, role in roles:
                    slot = hits.get(rule_index)
                    if slot is None:
                        slot = hits[rule_index] = [[], [], [], []]
                    slot[role].append((start, end + 1, key))
        if self.prefilter is not None and self.prefilter.search(text):
            for rule_index, pattern in self.regex_rules:
                for m in pattern.finditer(text):
                    if m.end() > m.start():
                        slot = hits.get(rule_index)
                        if slot is None:
                            slot = hits[rule_index] = [[], [], [], []]
                        slot[DENY].append((m.start(), m.end(), pattern.pattern))
        out: list[RuleMatch] = []
        for rule_index, (deny, allow, require, exclude) in hits.items():
            if not deny or (rule_filter is not None and rule_index not in rule_filter):
                continue
            rule = self.rules[rule_index]
            kept = [d for d in deny if self._passes(rule, d, allow, require, exclude)]
            out.extend(self._merge(rule, kept, norm))
        return out

    @staticmethod
    def _passes(
        rule: Rule,
        hit: tuple[int, int, str],
        allow: list[tuple[int, int, str]],
        require: list[tuple[int, int, str]],
        exclude: list[tuple[int, int, str]],
    ) -> bool:
        a, b, _ = hit
        # An allowed phrase that contains the denied term wins (最好冷藏 beats 最好).
        for c, d, _ in allow:
            if c <= a and b <= d and d - c >= b - a:
                return False
        spec = rule.spec
        if spec.excludes is not None:
            lo, hi = a - spec.excludes.before, b + spec.excludes.after
            # An excluding phrase must lie beside the hit, not inside it (不要 in 不要在这拍).
            if any(c >= lo and d <= hi and (d <= a or c >= b) for c, d, _ in exclude):
                return False
        if spec.requires_any is not None:
            lo, hi = a - spec.requires_any.before, b + spec.requires_any.after
            if not any(c >= lo and d <= hi for c, d, _ in require):
                return False
        return True

    @staticmethod
    def _merge(rule: Rule, kept: list[tuple[int, int, str]], norm: NormalizedText) -> list[RuleMatch]:
        """Overlapping hits of one rule become one finding spanning them all (全网最低 + 最低价)."""
        if not kept:
            return []
        kept.sort()
        merged: list[list[object]] = []
        for a, b, key in kept:
            if merged and a < merged[-1][1]:  # type: ignore[operator]
                last = merged[-1]
                if b > last[1]:  # type: ignore[operator]
                    last[1] = b
                if len(key) > len(last[2]):  # type: ignore[arg-type]
                    last[2] = key
            else:
                merged.append([a, b, key])
        out = []
        for a, b, key in merged:
            start, end = norm.span(a, b)  # type: ignore[arg-type]
            out.append(RuleMatch(rule, start, end, a, b, key))  # type: ignore[arg-type]
        return out


class RuleSet:
    """All loaded rules, one matcher per language."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        by_lang: dict[str, list[Rule]] = defaultdict(list)
        for rule in rules:
            for lang in rule.spec.languages or [rule.language]:
                by_lang[lang.split("-")[0].lower()].append(rule)
        self.matchers = {lang: LanguageMatcher(lang, lang_rules) for lang, lang_rules in sorted(by_lang.items())}

    def by_id(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)
