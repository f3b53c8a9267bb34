"""YAML loading for every data file ClearLive reads: safe (no object construction) and strict.

PyYAML keeps the last of two equal keys silently; in a rule pack that drops half a rule without a
word (a second `allow:` replaces the first). This loader refuses duplicate keys instead.
"""

from __future__ import annotations

from typing import Any

import yaml


class DuplicateKeyError(yaml.YAMLError):
    pass


# libyaml's parser when PyYAML was built with it (several times faster on the vocabularies); the
# constructor, where duplicate keys are refused, is Python either way.
_SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:  # type: ignore[override]
        keys = [self.construct_object(k, deep=deep) for k, _ in node.value]
        dupes = sorted({str(k) for k in keys if keys.count(k) > 1})
        if dupes:
            line = node.start_mark.line + 1
            raise DuplicateKeyError(f"duplicate key(s) {dupes} in the mapping starting at line {line}")
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str) -> Any:
    """Parse YAML safely, refusing duplicate keys (raises yaml.YAMLError)."""
    return yaml.load(text, Loader=_UniqueKeyLoader)
