"""CSV and Parquet tables: one table per event type, rows validated like JSON events."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from clearlive.model.events import TYPE_BY_NAME, Event, EventBase
from clearlive.sources.rejects import Reject, field_of

LIST_FIELDS = {"qualifications"}
_NOT_UTF8 = re.compile("[\udc80-\udcff]")  # bytes decoding left as surrogates


def table_type_for(path: Path, explicit: str | None) -> str | None:
    """The event type of a table: --type, else the file name (orders.csv -> order)."""
    if explicit:
        return explicit
    stem = path.name.split(".")[0].lower()
    for candidate in (stem, stem.rstrip("s"), stem[:-2] if stem.endswith("es") else stem):
        if candidate in TYPE_BY_NAME:
            return candidate
    return None


def _row_to_event(row: dict[str, Any], kind: str | None, source: str, number: int) -> EventBase:
    clean: dict[str, Any] = {}
    for key, value in row.items():
        if key is None or value is None or value == "":
            continue  # empty cells are missing values
        if key in LIST_FIELDS and isinstance(value, str):
            value = [v.strip() for v in value.split(";") if v.strip()]
        clean[key] = value
    if kind and "type" not in clean:
        clean["type"] = kind
    ev = msgspec.convert(clean, Event, strict=False)
    if ev.id is None:
        ev.id = f"{source}:{number}"
    return ev


def _convert_rows(
    rows: Iterator[tuple[int, dict[str, Any]]],
    kind: str | None,
    source: str,
    unit: str,
    on_reject: Callable[[Reject], None],
    lang: str | None,
) -> Iterator[tuple[int, EventBase | None]]:
    for number, row in rows:
        try:
            bad = next(
                (k for k, v in row.items() if any(isinstance(x, str) and _NOT_UTF8.search(x) for x in (k, v))), None
            )
            if bad is not None:
                raise msgspec.ValidationError(f"not UTF-8 text - at `$.{bad.encode('utf-8', 'replace').decode()}`")
            ev = _row_to_event(row, kind, source, number)
        except msgspec.ValidationError as exc:
            msg = str(exc)
            on_reject(
                Reject(
                    source=source,
                    line=number,
                    field=field_of(msg),
                    error=msg,
                    raw=json.dumps({k: str(v) for k, v in row.items() if k})[:2000],  # escapes what is not UTF-8
                    unit=unit,
                )
            )
            yield number, None
            continue
        if lang and ev.lang is None:
            ev.lang = lang
        yield number, ev


def read_csv(
    path: Path, kind: str | None, on_reject: Callable[[Reject], None], lang: str | None = None
) -> Iterator[tuple[int, EventBase | None]]:
    # Bytes that are not UTF-8 are kept as surrogates so that their row, not the file, is rejected.
    with path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as fh:
        reader = csv.DictReader(fh)

        def rows() -> Iterator[tuple[int, dict[str, Any]]]:
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:  # e.g. a field over the csv module's size limit: no way to resync
                    on_reject(Reject(source=path.name, line=reader.line_num, field=None,
                                     error=f"unreadable CSV from here on: {exc}", raw=""))  # fmt: skip
                    return
                # DictReader counts physical lines: line_num after a row is the row's last line.
                yield reader.line_num, row

        yield from _convert_rows(rows(), kind, path.name, "line", on_reject, lang)


def read_parquet(
    path: Path, kind: str | None, on_reject: Callable[[Reject], None], lang: str | None = None
) -> Iterator[tuple[int, EventBase | None]]:
    import pyarrow.parquet as pq

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        number = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=8192):
            for row in batch.to_pylist():
                number += 1
                yield number, row

    yield from _convert_rows(rows(), kind, path.name, "row", on_reject, lang)
