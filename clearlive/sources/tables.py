"""CSV and Parquet tables: one table per event type, rows validated like JSON events."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from clearlive.model.events import TYPE_BY_NAME, Event, EventBase
from clearlive.sources.rejects import Reject, field_of

LIST_FIELDS = {"qualifications"}


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
            ev = _row_to_event(row, kind, source, number)
        except msgspec.ValidationError as exc:
            msg = str(exc)
            on_reject(
                Reject(
                    source=source,
                    line=number,
                    field=field_of(msg),
                    error=msg,
                    raw=msgspec.json.encode({k: str(v) for k, v in row.items() if k}).decode()[:2000],
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
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        # DictReader counts physical lines: line_num after a row is the row's last line.
        rows = ((reader.line_num, row) for row in reader)
        yield from _convert_rows(rows, kind, path.name, "line", on_reject, lang)


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
