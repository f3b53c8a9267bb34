"""The vocabularies claim frames are built from, as data with their sources (clearlive/watch/claims/vocab).

Each YAML file names its sources and licence; `frames.yaml` holds the grammar (effect words, body
targets, units). Disease and symptom names, the regulators' term lists and the gift catalogue are
read from the grounded files; a missing optional file just contributes nothing.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from clearlive.watch.normalize import normalize
from clearlive.yamlsafe import load_yaml

VOCAB_DIR = Path(__file__).with_name("vocab")


@cache
def vocabulary(name: str) -> dict[str, Any]:
    """One vocabulary file, parsed ({} when it is not there)."""
    path = VOCAB_DIR / f"{name}.yaml"
    if not path.exists():
        return {}
    doc = load_yaml(path.read_text(encoding="utf-8"))
    return doc if isinstance(doc, dict) else {}


def terms(name: str, key: str = "terms") -> list[str]:
    """The normalised terms of a vocabulary (entries may be strings or mappings with `term`)."""
    out = []
    for entry in vocabulary(name).get(key) or []:
        term = entry if isinstance(entry, str) else entry.get("term") or entry.get("name")
        if isinstance(term, str) and term.strip():
            out.append(normalize(term.strip()).text)
    return out


def all_sources() -> list[dict[str, Any]]:
    """Every vocabulary's sources, for `clearlive rules vocab` and the docs."""
    out = []
    for path in sorted(VOCAB_DIR.glob("*.yaml")):
        doc = vocabulary(path.stem)
        for src in doc.get("sources") or []:
            out.append({"file": path.name, **src})
    return out
