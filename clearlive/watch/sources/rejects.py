"""Rejected input records: reported with file, line and field, written to a reject file."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import msgspec

MAX_RAW_CHARS = 2000  # a reject keeps at most this much of the offending record
_AT_PATH = re.compile(r"at `\$\.?([^`]*)`")
_MISSING = re.compile(r"missing required field `([^`]+)`")


class Reject(msgspec.Struct, kw_only=True):
    source: str
    line: int  # 1-based line (or row / cue / segment number, see `unit`)
    field: str | None
    error: str
    raw: str
    unit: str = "line"

    def describe(self) -> str:
        where = f"{self.source}:{self.line}" if self.unit == "line" else f"{self.source} {self.unit} {self.line}"
        what = f"field `{self.field}`: " if self.field else ""
        return f"{where}: {what}{self.error}"


def field_of(message: str) -> str | None:
    """The field a msgspec validation message points at (`$.text` -> 'text')."""
    m = _AT_PATH.search(message)
    if m and m.group(1):
        return m.group(1)
    m = _MISSING.search(message)
    return m.group(1) if m else None


@dataclass
class ReadStats:
    """Counts per source: every record read is either accepted or rejected."""

    read: Counter[str] = field(default_factory=Counter)
    accepted: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)

    @property
    def total_read(self) -> int:
        return sum(self.read.values())

    @property
    def total_accepted(self) -> int:
        return sum(self.accepted.values())

    @property
    def total_rejected(self) -> int:
        return sum(self.rejected.values())


class RejectSink:
    """Collects rejects; writes them as JSON Lines to `path` (created only if there are any)."""

    def __init__(self, path: Path | None, keep: int = 1000) -> None:
        self.path = path
        self.keep = keep
        self.first: list[Reject] = []  # the first few, for the summary on screen
        self.count = 0
        self._fh: IO[bytes] | None = None
        self._encoder = msgspec.json.Encoder()

    def __call__(self, reject: Reject) -> None:
        self.count += 1
        if len(self.first) < self.keep:
            self.first.append(reject)
        if self.path is not None:
            if self._fh is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = self.path.open("wb")
            self._fh.write(self._encoder.encode(reject) + b"\n")

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
