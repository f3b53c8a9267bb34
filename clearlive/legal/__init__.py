"""Legal-basis ids resolved to citations, with taxonomy.md's confidence marks."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from clearlive.errors import RuleLoadError
from clearlive.model.findings import LegalBasis

CITATIONS_PATH = Path(__file__).with_name("citations.yaml")
MARKS = ("V", "M", "?")


@cache
def citation_table() -> dict[str, LegalBasis]:
    raw = yaml.safe_load(CITATIONS_PATH.read_text(encoding="utf-8"))
    table: dict[str, LegalBasis] = {}
    for cid, entry in raw.items():
        mark = str(entry.get("mark", ""))
        if mark not in MARKS or not entry.get("citation"):
            raise RuleLoadError(str(CITATIONS_PATH), cid, f"needs a citation and a mark in {MARKS}")
        # An unverified citation says so in its own text, wherever it is shown.
        text = entry["citation"] if mark == "V" else f"{entry['citation']} [{mark}: unverified]"
        table[cid] = LegalBasis(id=cid, citation=text, mark=mark)
    return table
