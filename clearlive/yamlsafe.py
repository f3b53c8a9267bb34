"""YAML loading for every data file ClearLive reads: safe (no object construction) and strict.

PyYAML keeps the last of two equal keys silently; in a rule pack that drops half a rule without a
word (a second `allow:` replaces the first). This loader refuses duplicate keys instead.

Parsing the bundled packs and vocabularies (half a megabyte) with PyYAML's Python constructor is
most of a short scan's start-up, so a parsed document is kept in a cache keyed by the hash of its
text (msgpack, plain data only: a document that does not survive the round trip unchanged is never
cached). The cache lives in $CLEARLIVE_CACHE_DIR, else $XDG_CACHE_HOME/clearlive, else
~/.cache/clearlive; CLEARLIVE_CACHE_DIR=off turns it off; an unwritable place just means no cache.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import msgspec
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


MIN_CACHED_CHARS = 1024  # smaller documents parse in a fraction of a millisecond
_CACHE_FORMAT = f"clearlive-yaml-1-pyyaml-{yaml.__version__}"


def cache_dir() -> Path | None:
    """Where parsed documents are kept, or None when caching is off."""
    chosen = os.environ.get("CLEARLIVE_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "none") else Path(chosen) / "yaml"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "clearlive" / "yaml"


def _parse(text: str) -> Any:
    return yaml.load(text, Loader=_UniqueKeyLoader)


def load_yaml(text: str) -> Any:
    """Parse YAML safely, refusing duplicate keys (raises yaml.YAMLError)."""
    folder = cache_dir() if len(text) >= MIN_CACHED_CHARS else None
    if folder is None:
        return _parse(text)
    key = hashlib.blake2b(f"{_CACHE_FORMAT}\0{text}".encode(), digest_size=20).hexdigest()
    path = folder / f"{key}.msgpack"
    try:
        return msgspec.msgpack.decode(path.read_bytes())
    except (OSError, msgspec.DecodeError):
        pass
    doc = _parse(text)
    try:
        blob = msgspec.msgpack.encode(doc)
        if msgspec.msgpack.decode(blob) == doc and _same_types(msgspec.msgpack.decode(blob), doc):
            folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(blob)
            os.replace(tmp, path)
    except (OSError, TypeError, ValueError, msgspec.EncodeError):
        pass  # no cache: the next run parses again
    return doc


def _same_types(a: Any, b: Any) -> bool:
    """True when `a` and `b` hold the same types all the way down (1 == 1.0 == True in Python)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return all(_same_types(k, k2) and _same_types(a[k], b[k2]) for k, k2 in zip(a, b, strict=True))
    if isinstance(a, list):
        return all(_same_types(x, y) for x, y in zip(a, b, strict=True))
    return True
