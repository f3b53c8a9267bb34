"""JSON Lines events (CONTRACT section 2): plain, gzip, or stdin."""

from __future__ import annotations

import gzip
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, cast

import msgspec

from clearlive.model.events import EventBase, EventReader, TimeWindow
from clearlive.watch.sources.rejects import Reject, field_of

MAX_LINE_BYTES = 1 << 20  # 1 MiB: a longer line is rejected, not decoded


def open_binary(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    if path.endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb")


def source_name(path: str) -> str:
    return "stdin" if path == "-" else Path(path).name


def decode_lines(
    lines: Iterable[bytes], source: str, on_reject: Callable[[Reject], None], lang: str | None = None, start: int = 1
) -> Iterator[tuple[int, EventBase | None]]:
    """Yield (line number, event) for every non-blank line; event is None when rejected. `start`:
    the number of the first line (Spark hands a file over in blocks of lines)."""
    decode = EventReader(TimeWindow.for_files()).decode  # the window and int64 bounds too: the service's own door
    for lineno, raw in enumerate(lines, start=start):
        if len(raw) > MAX_LINE_BYTES:
            on_reject(
                Reject(
                    source=source,
                    line=lineno,
                    field=None,
                    error=f"line longer than {MAX_LINE_BYTES} bytes",
                    raw=raw[:2000].decode("utf-8", "replace"),
                )
            )
            yield lineno, None
            continue
        if not raw.strip():
            continue
        try:
            ev = decode(raw)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            msg = str(exc)
            on_reject(
                Reject(
                    source=source,
                    line=lineno,
                    field=field_of(msg),
                    error=msg,
                    raw=raw[:2000].decode("utf-8", "replace").rstrip("\n"),
                )
            )
            yield lineno, None
            continue
        if ev.id is None:
            ev.id = f"{source}:{lineno}"
        if lang and ev.lang is None:
            ev.lang = lang
        yield lineno, ev


def read_jsonl(
    path: str, on_reject: Callable[[Reject], None], lang: str | None = None
) -> Iterator[tuple[int, EventBase | None]]:
    source = source_name(path)
    fh = open_binary(path)
    try:
        yield from decode_lines(fh, source, on_reject, lang)
    except (OSError, EOFError) as exc:  # e.g. a truncated .gz: keep what was read, reject the rest
        on_reject(Reject(source=source, line=0, field=None, error=f"cannot read further: {exc}", raw="", unit="file"))
        yield 0, None
    finally:
        if path != "-":
            fh.close()
