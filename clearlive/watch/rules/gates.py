"""Cheap gates for regular expressions: the characters a match can start with.

A rule's regex can only match where one of its possible first characters occurs. Collecting
those characters into one character class lets the matcher skip the (much slower) regex search
for most texts: a phone-number pattern cannot match chat without digits. When the first
characters cannot be worked out (a pattern starting with '.', a negated class, \\d, ...), the
pattern has no gate and always runs.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

# Python 3.11+: the parser lives at re._parser (sre_parse is a deprecated alias); private, so untyped.
sre_parse: Any = importlib.import_module("re._parser")

_C = sre_parse  # opcodes are exposed on the parser module
MAX_RANGE = 4096


class _Unknown(Exception):
    pass


def _class_chars(items: list[tuple[Any, Any]]) -> set[str]:
    out: set[str] = set()
    for op, av in items:
        if op is _C.LITERAL:
            out.add(chr(av))
        elif op is _C.RANGE:
            lo, hi = av
            if hi - lo > MAX_RANGE:
                raise _Unknown
            out.update(chr(c) for c in range(lo, hi + 1))
        else:  # NEGATE, CATEGORY (\d, \w, \s): too broad to gate on
            raise _Unknown
    return out


def _first(seq: Any, ignore_case: bool) -> tuple[set[str], bool]:
    """(possible first characters, whether the sequence can match the empty string)."""
    chars: set[str] = set()
    for op, av in seq:
        if op is _C.LITERAL:
            chars.add(chr(av))
            return chars, False
        if op is _C.IN:
            chars |= _class_chars(av)
            return chars, False
        if op in (_C.ASSERT, _C.ASSERT_NOT, _C.AT):
            continue  # zero-width
        if op is _C.SUBPATTERN:
            sub, nullable = _first(av[-1], ignore_case)
            chars |= sub
            if not nullable:
                return chars, False
            continue
        if op is _C.BRANCH:
            nullable_any = False
            for branch in av[1]:
                sub, nullable = _first(branch, ignore_case)
                chars |= sub
                nullable_any = nullable_any or nullable
            if not nullable_any:
                return chars, False
            continue
        if op in (_C.MAX_REPEAT, _C.MIN_REPEAT, getattr(_C, "POSSESSIVE_REPEAT", None)):
            low, _high, sub_seq = av
            sub, nullable = _first(sub_seq, ignore_case)
            chars |= sub
            if low > 0 and not nullable:
                return chars, False
            continue
        raise _Unknown  # ANY, GROUPREF, CATEGORY, ...
    return chars, True


def first_chars(pattern: re.Pattern[str]) -> set[str] | None:
    """Characters a match of `pattern` can begin with, or None if unknown or unbounded."""
    if pattern.flags & re.IGNORECASE:
        return None
    try:
        chars, nullable = _first(sre_parse.parse(pattern.pattern, pattern.flags), False)
    except _Unknown:
        return None
    return None if nullable else chars


def gate_for(patterns: list[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One character class that must be found before any of `patterns` can match."""
    union: set[str] = set()
    for p in patterns:
        chars = first_chars(p)
        if chars is None:
            return None
        union |= chars
    if not union:
        return None
    return re.compile("[" + "".join(re.escape(c) for c in sorted(union)) + "]")


def _literal_prefix(seq: Any) -> str:
    """The literal characters every match of `seq` starts with ('' if none)."""
    out = []
    for op, av in seq:
        if op is _C.LITERAL:
            out.append(chr(av))
        elif op is _C.SUBPATTERN and not out:
            inner = av[-1]
            if len(inner) == 1 and inner[0][0] is _C.BRANCH:
                break
            return _literal_prefix(inner)
        else:
            break
    return "".join(out)


def _needles_of(seq: Any) -> set[str] | None:
    """A set of strings one of which every match of `seq` contains; None when none is known.
    Of the candidates (literal runs, and groups whose every branch starts with a literal), the
    one whose shortest string is longest wins: it rejects the most texts."""
    best: set[str] | None = None

    def offer(cands: set[str]) -> None:
        nonlocal best
        if cands and all(cands) and (best is None or min(map(len, cands)) > min(map(len, best))):
            best = cands

    run: list[str] = []
    for op, av in seq:
        if op is _C.LITERAL:
            run.append(chr(av))
            continue
        if run:
            offer({"".join(run)})
            run = []
        if op is _C.SUBPATTERN:
            inner = av[-1]
            if len(inner) == 1 and inner[0][0] is _C.BRANCH:
                prefixes = {_literal_prefix(branch) for branch in inner[0][1][1]}
                offer(prefixes)
            else:
                sub = _needles_of(inner)
                if sub:
                    offer(sub)
        elif op is _C.BRANCH:
            branches = [_needles_of(b) for b in av[1]]
            if all(branches):
                offer(set[str]().union(*(b for b in branches if b)))
    if run:
        offer({"".join(run)})
    return best


def required_literals(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Strings one of which any match of `pattern` must contain (None if unknown): a pattern whose
    needles are all absent from a text is not run on it."""
    try:
        parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # pragma: no cover - the pattern compiled, so it parses
        return None
    needles = _needles_of(list(parsed))
    if not needles:
        return None
    if pattern.flags & re.IGNORECASE:
        needles = {n.lower() for n in needles}
    return tuple(sorted(needles))
