"""Compile every rule into one Aho-Corasick automaton and match texts.

One automaton holds the deny terms, allow phrases and context terms of all rules of all
languages; each key maps to the (rule, role) pairs that use it. A text is scanned once; rules
with no deny hit cost nothing more, and which language packs apply to the text is only worked
out when something was hit. Regular expressions run only when a cheap character gate and then a
combined prefilter find something, so chat without digits or Latin letters pays for one
character-class search.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import ahocorasick

from clearlive.watch.normalize import NormalizedText, normalize
from clearlive.watch.normalize.numbers import english_numbers_to_digits
from clearlive.watch.rules.gates import gate_for, required_literals
from clearlive.watch.rules.loader import Rule

if TYPE_CHECKING:
    from clearlive.watch.rules.sounds import SoundMatcher

DENY, ALLOW, REQUIRE, EXCLUDE, CUE = 0, 1, 2, 3, 4  # CUE: a `coupled` term, looked for across events
_NONE: list[Any] = []  # shared empty result; never mutated
_ALNUM = re.compile(r"[0-9a-z]")


@dataclass(frozen=True, slots=True)
class RuleMatch:
    rule: Rule
    start: int  # original offsets
    end: int
    norm_start: int
    norm_end: int
    matched: str  # the term or pattern that fired
    by_sound: bool = False  # matched on toneless pinyin (speech transcripts only), not on the characters

    def quote(self, norm: NormalizedText) -> str:
        return norm.original[self.start : self.end]


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _on_boundaries(text: str, n: int, end: int, payload: tuple[Any, ...]) -> bool:
    """Terms that begin or end with a letter or digit must sit on a word boundary there."""
    size, left_bound, right_bound = payload[0], payload[1], payload[2]
    start = end + 1 - size
    if left_bound and start > 0 and _is_word_char(text[start - 1]):
        return False
    return not (right_bound and end + 1 < n and _is_word_char(text[end + 1]))


class Matcher:
    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        entries: dict[str, list[tuple[int, int]]] = defaultdict(list)

        def add(term: str, rule_index: int, role: int) -> None:
            keys = {normalize(term).text}
            # Speech transcripts write English numbers as digits (normalize/numbers.py): 'ten times
            # the price' is also looked for as '10 times the price', whoever wrote it.
            keys.add(normalize(english_numbers_to_digits(term)).text)
            for key in sorted(k for k in keys if k):
                if (rule_index, role) not in entries[key]:
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
            if rule.spec.coupled:
                for t in rule.spec.coupled.terms:
                    add(t, i, CUE)
        self.automaton = ahocorasick.Automaton()
        for key, roles in entries.items():
            # Terms that begin or end with a letter or digit must sit on a word boundary there,
            # so 'sb' does not fire inside 'usb' nor 'best' inside 'bestow'.
            has_deny = any(role == DENY for _, role in roles)
            cue_rules = tuple(i for i, role in roles if role == CUE)
            self.automaton.add_word(
                key,
                (len(key), _is_word_char(key[0]), _is_word_char(key[-1]), tuple(roles), key, has_deny, cue_rules),
            )
        if entries:
            self.automaton.make_automaton()
        self.has_terms = bool(entries)
        # Coupled rules whose cue may sit inside an allowed phrase ("not sponsored"): their cues
        # need the allow-list check; every other rule's cue counts as soon as it is seen.
        self.cue_allow = frozenset(i for i, r in enumerate(rules) if r.spec.coupled and r.spec.allow)
        self.regex_rules = [(i, p) for i, r in enumerate(rules) for p in r.patterns]
        # Most patterns need one of a few literal strings (a gift's name, a profession): one small
        # automaton finds which patterns can match a text at all, and only those run.
        self.needles = ahocorasick.Automaton()
        unneedled = []
        for k, (_, pattern) in enumerate(self.regex_rules):
            literals = required_literals(pattern)
            if literals is None:
                unneedled.append(k)
                continue
            for lit in literals:
                known = self.needles.get(lit, ())
                self.needles.add_word(lit, (*known, k))
        if len(self.needles):
            self.needles.make_automaton()
        # The rest run behind a character class of their possible first characters and one union
        # regex (None = always run).
        # User patterns (RE2) stay out of the union: Python's engine could backtrack on them. They
        # are linear-time on their own, so they simply run.
        self.always = tuple(k for k in unneedled if not isinstance(self.regex_rules[k][1], re.Pattern))
        self.unneedled = tuple(k for k in unneedled if k not in self.always)
        rest = [self.regex_rules[k][1] for k in self.unneedled]
        self.prefilter = re.compile("|".join(f"(?:{p.pattern})" for p in rest)) if rest else None
        self.gate = gate_for(rest) if rest else None
        # The batch pre-filter (`may_match`): every denied term, every cue and every pattern's required
        # literal in one automaton, run once over many texts joined. Allow-list, requires and excludes
        # words only qualify a denied term or pattern, so alone they make no match (`match` returns
        # nothing without one): short ones (吗, 领) would send most chat to the matcher for nothing.
        self.any_key = ahocorasick.Automaton()
        triggers = [k for k, roles in entries.items() if any(role in (DENY, CUE) for _, role in roles)]
        for key in (*triggers, *self.needles.keys()):
            self.any_key.add_word(key, None)
        if len(self.any_key):
            self.any_key.make_automaton()

    def may_match(self, texts: list[str]) -> list[bool]:
        """For each normalised text, whether `match` could find anything in it (or note a cue). False
        is exact: no denied term, cue or pattern's required literal occurs in the text, and no pattern
        without one passes its gate and the union regex; then `match` returns nothing. The terms and literals
        are found by one automaton pass over the texts joined with NUL, which no key contains, so no
        key is found across two texts."""
        if self.always:
            return [True] * len(texts)
        flags = [False] * len(texts)
        if len(self.any_key):
            starts = []
            at = 0
            for t in texts:
                starts.append(at)
                at += len(t) + 1
            for end, _ in self.any_key.iter("\x00".join(texts)):
                flags[bisect_right(starts, end) - 1] = True
        prefilter, gate = self.prefilter, self.gate
        if prefilter is not None:
            for k, t in enumerate(texts):
                if not flags[k] and (gate is None or gate.search(t)) and prefilter.search(t):
                    flags[k] = True
        return flags

    def match(
        self, norm: NormalizedText, rule_filter: set[int] | None = None, cues: list[int] | None = None
    ) -> list[RuleMatch]:
        """Rule matches in `norm`; indices of rules whose `coupled` terms occur are added to `cues`."""
        text = norm.text
        raw = list(self.automaton.iter(text)) if self.has_terms else _NONE
        regex_hits = self._regex_hits(text) if self.regex_rules else _NONE
        if not regex_hits:
            # Most texts hit nothing, or only allow-list, context and cue words (第一次, 有人问, 下单):
            # note the cues (coupled rules need them from every event) and stop.
            for _, payload in raw:
                if payload[5]:
                    break
            else:
                if cues is not None:
                    self._fast_cues(text, raw, cues)
                return _NONE
        hits = self._collect(text, raw)
        for rule_index, start, end, pattern in regex_hits:
            slot = hits.get(rule_index)
            if slot is None:
                slot = hits[rule_index] = [[], [], [], [], []]
            slot[DENY].append((start, end, pattern))
        if cues is not None:
            _note_cues(hits, cues)
        out: list[RuleMatch] = []
        for rule_index, (deny, allow, require, exclude, _) in hits.items():
            if not deny or (rule_filter is not None and rule_index not in rule_filter):
                continue
            rule = self.rules[rule_index]
            kept = [d for d in deny if self._passes(rule, d, allow, require, exclude)]
            out.extend(self._merge(rule, kept, norm))
        return out

    def _fast_cues(self, text: str, raw: list[tuple[int, Any]], cues: list[int]) -> None:
        """Cues of a text with no denied term: only rules with an allow-list need the full check."""
        n = len(text)
        needs_check = False
        for end, payload in raw:
            if payload[6] and _on_boundaries(text, n, end, payload):
                for k in payload[6]:
                    if k in self.cue_allow:
                        needs_check = True
                    else:
                        cues.append(k)
        if needs_check:
            _note_cues({k: v for k, v in self._collect(text, raw).items() if k in self.cue_allow}, cues)

    @staticmethod
    def _collect(text: str, raw: list[tuple[int, Any]]) -> dict[int, list[list[tuple[int, int, str]]]]:
        """Automaton hits on word boundaries, per rule and role."""
        n = len(text)
        hits: dict[int, list[list[tuple[int, int, str]]]] = {}
        for end, payload in raw:
            if not _on_boundaries(text, n, end, payload):
                continue
            size, _, _, roles, key, _, _ = payload
            start = end + 1 - size
            for rule_index, role in roles:
                slot = hits.get(rule_index)
                if slot is None:
                    slot = hits[rule_index] = [[], [], [], [], []]
                slot[role].append((start, end + 1, key))
        return hits

    def _regex_hits(self, text: str) -> list[tuple[int, int, int, str]]:
        candidates: set[int] = set()
        if len(self.needles):
            for _, ks in self.needles.iter(text):
                candidates.update(ks)
        if self.prefilter is not None and (self.gate is None or self.gate.search(text)) and self.prefilter.search(text):
            candidates.update(self.unneedled)
        candidates.update(self.always)
        if not candidates:
            return []
        rules = self.regex_rules
        return [
            (rules[k][0], m.start(), m.end(), rules[k][1].pattern)
            for k in sorted(candidates)
            for m in rules[k][1].finditer(text)
            if m.end() > m.start()
        ]

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
        """Overlapping or touching hits of one rule become one finding spanning them (全网最低 + 最低价)."""
        if not kept:
            return []
        kept.sort()
        merged: list[tuple[int, int, str]] = []
        for a, b, key in kept:
            if merged and a <= merged[-1][1]:  # touching hits merge too
                last_a, last_b, last_key = merged[-1]
                merged[-1] = (last_a, max(last_b, b), key if len(key) > len(last_key) else last_key)
            else:
                merged.append((a, b, key))
        out = []
        for a, b, key in merged:
            start, end = norm.span(a, b)
            out.append(RuleMatch(rule, start, end, a, b, key))
        return out


class RuleSet:
    """All loaded rules and their compiled matcher."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self.matcher = Matcher(rules)
        self.index = {rule.id: i for i, rule in enumerate(rules)}
        self.languages = sorted({lang for rule in rules for lang in rule.languages})
        self._sounds: SoundMatcher | None = None

    def sound_matches(self, norm: NormalizedText, found: list[RuleMatch]) -> list[RuleMatch]:
        """Deny terms heard by sound in a speech transcript where the characters did not match.

        The same allow-lists and context windows apply as to a match on the characters. The
        sound index is built on the first transcript from speech recognition (about a second)."""
        if self._sounds is None:
            from clearlive.watch.rules.sounds import SoundMatcher  # pypinyin loads only for speech

            self._sounds = SoundMatcher(self.rules)
        heard = self._sounds.find(norm)
        if not heard:
            return []
        text = norm.text
        hits = Matcher._collect(text, list(self.matcher.automaton.iter(text))) if self.matcher.has_terms else {}
        kept: dict[int, list[tuple[int, int, str]]] = {}
        for rule_index, a, b, term in heard:
            rule = self.rules[rule_index]
            if any(m.rule is rule and m.norm_start < b and a < m.norm_end for m in found):
                continue  # the characters matched already
            slots = hits.get(rule_index) or [[], [], [], [], []]
            if Matcher._passes(rule, (a, b, term), slots[ALLOW], slots[REQUIRE], slots[EXCLUDE]):
                kept.setdefault(rule_index, []).append((a, b, term))
        out: list[RuleMatch] = []
        for rule_index, spans in kept.items():
            merged = Matcher._merge(self.rules[rule_index], spans, norm)
            out.extend(replace(m, by_sound=True) for m in merged)
        return out


def _note_cues(hits: dict[int, list[list[tuple[int, int, str]]]], cues: list[int]) -> None:
    """Rules whose coupled cue occurs outside their allow-list ("not sponsored" is no disclosure)."""
    for rule_index, slots in hits.items():
        allowed = slots[ALLOW]
        if any(not any(a <= c and d <= b for a, b, _ in allowed) for c, d, _ in slots[CUE]):
            cues.append(rule_index)
