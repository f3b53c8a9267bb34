"""YAML loading for every data file ClearLive reads: safe (no object construction) and strict.

PyYAML keeps the last of two equal keys silently; in a rule pack that drops half a rule without a
word (a second `allow:` replaces the first). This loader refuses duplicate keys instead.

Parsing the bundled packs and vocabularies (half a megabyte) with PyYAML's Python constructor is
most of a short scan's start-up, so a parsed document is kept in `clearlive.cache`, keyed by the
hash of its text (plain data only; CLEARLIVE_CACHE_DIR=off turns it off).
"""

from __future__ import annotations

from typing import Any

import yaml

from clearlive.cache import cached


class DuplicateKeyError(yaml.YAMLError):
    pass


# libyaml's parser when PyYAML was built with it (several times faster on the vocabularies); the
# constructor, where duplicate keys are refused, is Python either way.
_SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        keys = [self.construct_object(k, deep=deep) for k, _ in node.value]
        dupes = sorted({str(k) for k in keys if keys.count(k) > 1})
        if dupes:
            line = node.start_mark.line + 1
            raise DuplicateKeyError(f"duplicate key(s) {dupes} in the mapping starting at line {line}")
        return super().construct_mapping(node, deep=deep)


MIN_CACHED_CHARS = 1024  # smaller documents parse in a fraction of a millisecond


def _parse(text: str) -> Any:
    return yaml.load(text, Loader=_UniqueKeyLoader)


def load_yaml(text: str) -> Any:
    """Parse YAML safely, refusing duplicate keys (raises yaml.YAMLError)."""
    if len(text) < MIN_CACHED_CHARS:
        return _parse(text)
    return cached("yaml", (yaml.__version__, text), lambda: _parse(text))
