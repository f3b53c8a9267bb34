"""A small on-disk cache for data that is slow to build and depends only on its inputs.

A short scan spends most of its start-up parsing the bundled YAML and building the character
tables; the results are plain data, so they are kept as msgpack files keyed by a hash of
everything they are built from (the text, the library versions). Only plain data is stored
(no pickle): a value that does not come back from msgpack unchanged, types included, is not
cached. A key names its inputs, so a changed input is a new file, never a stale one.

Where: $CLEARLIVE_CACHE_DIR, else $XDG_CACHE_HOME/clearlive, else ~/.cache/clearlive.
CLEARLIVE_CACHE_DIR=off turns it off. A place that cannot be written just means no cache.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")
FORMAT = "clearlive-cache-1"


def cache_dir() -> Path | None:
    """The cache folder, or None when caching is off."""
    chosen = os.environ.get("CLEARLIVE_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "none") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "clearlive"


def module_stamp(name: str) -> str:
    """Where an installed module is and when its file last changed, without importing it: a
    cache key part that changes when the module is reinstalled or upgraded."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return f"{name}: not installed"
    stat = os.stat(spec.origin)
    return f"{name}: {spec.origin} {stat.st_size} {stat.st_mtime_ns}"


def key_of(*parts: str) -> str:
    digest = hashlib.blake2b(digest_size=20)
    for part in (FORMAT, *parts):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def cached(kind: str, parts: tuple[str, ...], build: Callable[[], T]) -> T:
    """`build()`, or its result from an earlier run with the same `parts`."""
    folder = cache_dir()
    if folder is None:
        return build()
    path = folder / kind / f"{key_of(kind, *parts)}.msgpack"
    try:
        value: T = msgspec.msgpack.decode(path.read_bytes())
        return value
    except (OSError, msgspec.DecodeError):
        pass
    value = build()
    try:
        blob = msgspec.msgpack.encode(value)
        if same(msgspec.msgpack.decode(blob), value):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(blob)
            os.replace(tmp, path)  # atomic: a reader sees the whole file or none
    except (OSError, TypeError, ValueError, msgspec.EncodeError):
        pass  # not cached: the next run builds again
    return value


def same(a: Any, b: Any) -> bool:
    """Equal, with the same types all the way down (1 == 1.0 == True in Python, not here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return len(a) == len(b) and all(
            same(k, k2) and same(v, v2) for (k, v), (k2, v2) in zip(a.items(), b.items(), strict=True)
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and a != a:  # NaN
        return b != b
    return bool(a == b)
