"""Legal-basis ids resolved to citations, with taxonomy.md's confidence marks."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from clearlive.errors import RuleLoadError
from clearlive.model.findings import LegalBasis
from clearlive.yamlsafe import load_yaml

CITATIONS_PATH = Path(__file__).with_name("citations.yaml")
MARKS = ("V", "M", "?")


@cache
def citation_table() -> dict[str, LegalBasis]:
    return load_citations(CITATIONS_PATH)


def load_citations(path: Path) -> dict[str, LegalBasis]:
    """Citation id -> legal basis. A citation id written twice is refused (PyYAML alone would keep
    the second silently, and the first citation's rules would cite the wrong text)."""
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleLoadError(str(path), None, f"invalid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise RuleLoadError(str(path), None, "expected a mapping of citation ids")
    table: dict[str, LegalBasis] = {}
    for cid, entry in raw.items():
        if not isinstance(entry, dict):
            raise RuleLoadError(str(path), str(cid), "a citation is a mapping with `citation` and `mark`")
        mark = str(entry.get("mark", ""))
        if mark not in MARKS or not entry.get("citation"):
            raise RuleLoadError(str(path), cid, f"needs a citation and a mark in {MARKS}")
        # An unverified citation says so in its own text, wherever it is shown.
        text = entry["citation"] if mark == "V" else f"{entry['citation']} [{mark}: unverified]"
        table[cid] = LegalBasis(id=cid, citation=text, mark=mark)
    return table
