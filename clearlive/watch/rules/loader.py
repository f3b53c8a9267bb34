"""Load and validate rule packs: everything is checked up front, one error names file and rule."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import yaml

from clearlive.errors import RuleLoadError
from clearlive.model.events import TYPE_BY_NAME
from clearlive.model.findings import CATEGORIES, SEVERITIES, LegalBasis
from clearlive.watch.legal import citation_table
from clearlive.watch.rules.schema import PackSpec, RuleSpec
from clearlive.yamlsafe import load_yaml

BUILTIN_PACKS = Path(__file__).with_name("packs")
MAX_TERMS_PER_RULE = 5000
MAX_PATTERN_LENGTH = 500


@dataclass(frozen=True, slots=True)
class Rule:
    """A validated rule, ready for the matcher."""

    spec: RuleSpec
    pack: str
    source: str
    language: str
    legal_basis: tuple[LegalBasis, ...]
    patterns: tuple[Any, ...]  # re.Pattern for built-in packs, an RE2 pattern for user packs
    languages: frozenset[str]  # primary language subtags ('zh', 'en') or 'any'

    @property
    def id(self) -> str:
        return self.spec.id


def _pack_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*.y*ml") if p.suffix in (".yaml", ".yml"))
    return [path]


def _validate(rule: RuleSpec, source: str, trusted: bool) -> tuple[tuple[LegalBasis, ...], tuple[Any, ...]]:
    def fail(msg: str) -> RuleLoadError:
        return RuleLoadError(source, rule.id, msg)

    if not re.fullmatch(r"[a-z]{2,3}(\.[a-z0-9_]+){2,}", rule.id):
        raise fail("rule id must look like 'zh.absolute.superlative' (lowercase, dotted)")
    if set(rule.titles) - {"zh", "en"}:
        raise fail(f"titles are keyed by interface language (zh, en), not {sorted(set(rule.titles) - {'zh', 'en'})}")
    if rule.category not in CATEGORIES:
        raise fail(f"unknown category {rule.category!r}; use one of {', '.join(CATEGORIES)}")
    unknown = [c for c in rule.supersedes if c not in CATEGORIES]
    if unknown:
        raise fail(f"unknown category {unknown} in supersedes; use one of {', '.join(CATEGORIES)}")
    if rule.severity not in SEVERITIES:
        raise fail(f"unknown severity {rule.severity!r}; use one of {', '.join(SEVERITIES)}")
    if not 0.0 < rule.confidence <= 1.0:
        raise fail("confidence must be in (0, 1]")
    if not rule.terms and not rule.patterns:
        raise fail("a rule needs terms or patterns")
    if len(rule.terms) > MAX_TERMS_PER_RULE:
        raise fail(f"more than {MAX_TERMS_PER_RULE} terms")
    for kind in rule.applies_to:
        if kind not in TYPE_BY_NAME:
            raise fail(f"applies_to names unknown event type {kind!r}")
    if rule.coupled is not None:
        if rule.coupled.mode not in ("present", "absent"):
            raise fail("coupled.mode must be 'present' or 'absent'")
        if not rule.coupled.terms or rule.coupled.within_s <= 0:
            raise fail("coupled needs terms and a positive within_s")
    if not rule.examples.match or not rule.examples.no_match:
        raise fail("every rule needs at least one 'match' and one 'no_match' example")
    table = citation_table()
    if not rule.legal_basis:
        raise fail("legal_basis must name at least one citation id")
    missing = [cid for cid in rule.legal_basis if cid not in table]
    if missing:
        raise fail(f"unknown legal-basis id(s) {missing}; add them to clearlive/watch/legal/citations.yaml")
    compiled = []
    for pattern in rule.patterns:
        if len(pattern) > MAX_PATTERN_LENGTH:
            raise fail(f"pattern longer than {MAX_PATTERN_LENGTH} characters")
        try:
            python = re.compile(pattern)  # compiling never backtracks; a syntax error is reported as such
            compiled.append(python if trusted else linear_time(pattern))
        except re.error as exc:
            raise fail(f"pattern {pattern!r} does not compile: {exc}") from None
        except ValueError as exc:
            raise fail(str(exc)) from None
    return tuple(table[cid] for cid in rule.legal_basis), tuple(compiled)


def linear_time(pattern: str) -> Any:
    """A user's pattern, compiled by RE2, whose matching time is linear in the text: a pattern like
    `(a+)+b` cannot stall a scan on hostile input. RE2 refuses what could backtrack (backreferences,
    lookaround); the built-in packs, which are reviewed, may use Python's engine."""
    import re2

    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(
            f"pattern {pattern!r} is not RE2-compatible ({reason}): user rule packs may not use "
            "backreferences or lookaround, which can take exponential time"
        ) from None


def load_pack_file(path: Path, trusted: bool = False) -> tuple[PackSpec, list[Rule]]:
    source = str(path)
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RuleLoadError(source, None, f"cannot read YAML (UTF-8 text): {exc}") from None
    try:
        pack = msgspec.convert(raw, PackSpec)
    except msgspec.ValidationError as exc:
        rule_id = None
        m = re.search(r"\$\.rules\[(\d+)\]", str(exc))
        if m and isinstance(raw, dict) and isinstance(raw.get("rules"), list):
            idx = int(m.group(1))
            if idx < len(raw["rules"]) and isinstance(raw["rules"][idx], dict):
                rule_id = raw["rules"][idx].get("id")
        raise RuleLoadError(source, rule_id, str(exc)) from None
    rules = []
    for spec in pack.rules:
        basis, patterns = _validate(spec, source, trusted)
        if pack.allow:
            spec.allow = [*spec.allow, *pack.allow]
        languages = frozenset(lang.split("-")[0].lower() for lang in (spec.languages or [pack.language]))
        rules.append(Rule(spec, pack.pack, source, pack.language, basis, patterns, languages))
    return pack, rules


def load_rules(extra: list[Path] | None = None, builtin: bool = True) -> tuple[list[PackSpec], list[Rule]]:
    """Built-in packs plus user packs (files or folders). Duplicate rule ids are an error."""
    paths: list[tuple[Path, bool]] = [(f, True) for f in _pack_files(BUILTIN_PACKS)] if builtin else []
    for p in extra or []:
        if not p.exists():
            raise RuleLoadError(str(p), None, "no such file or directory")
        paths.extend((f, False) for f in _pack_files(p))
    packs: list[PackSpec] = []
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for path, trusted in paths:
        pack, pack_rules = load_pack_file(path, trusted)
        packs.append(pack)
        for rule in pack_rules:
            if rule.id in seen:
                raise RuleLoadError(str(path), rule.id, f"duplicate rule id (also in {seen[rule.id]})")
            seen[rule.id] = str(path)
            rules.append(rule)
    return packs, rules
