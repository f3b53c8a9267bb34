"""CSV and Parquet tables: one table per event type, rows validated like JSON events."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from clearlive.errors import InputError
from clearlive.model.events import TYPE_BY_NAME, EventBase, EventReader, TimeWindow
from clearlive.watch.sources.rejects import Reject, field_of

LIST_FIELDS = {"qualifications"}
_READER = EventReader(TimeWindow.for_files())  # the window is read once per process (CLEARLIVE_TS_MIN, ...)
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
    ev = _READER.convert(clean, strict=False)
    if ev.id is None:
        ev.id = f"{source}:{number}"
    return ev


def _convert_rows(
    rows: Iterator[tuple[int, dict[str, Any] | None]],
    kind: str | None,
    source: str,
    unit: str,
    on_reject: Callable[[Reject], None],
    lang: str | None,
) -> Iterator[tuple[int, EventBase | None]]:
    for number, row in rows:
        if row is None:  # the reader rejected it already (the rest of a file it cannot read)
            yield number, None
            continue
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
        handed = [0]  # physical lines given to the csv module: where a row that fails to parse ends

        def lines() -> Iterator[str]:
            for line in fh:
                handed[0] += 1
                yield line

        reader = csv.DictReader(lines())

        def rows() -> Iterator[tuple[int, dict[str, Any] | None]]:
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:  # e.g. a field over the csv module's size limit: no way to resync
                    on_reject(Reject(source=path.name, line=handed[0], field=None,
                                     error=f"unreadable CSV from here on: {exc}", raw=""))  # fmt: skip
                    yield handed[0], None
                    return
                yield handed[0], row  # the row's last physical line, as DictReader's line_num

        yield from _convert_rows(rows(), kind, path.name, "line", on_reject, lang)


def read_parquet(
    path: Path, kind: str | None, on_reject: Callable[[Reject], None], lang: str | None = None
) -> Iterator[tuple[int, EventBase | None]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path)
    except (pa.ArrowException, OSError, ValueError) as exc:  # not Parquet at all: the whole file is one clean error
        raise InputError(f"{path}: not a readable Parquet file: {exc}") from None

    def rows() -> Iterator[tuple[int, dict[str, Any] | None]]:
        number = 0
        batches = table.iter_batches(batch_size=8192)
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                return
            except (pa.ArrowException, OSError, ValueError) as exc:  # a corrupt row group: no way to resync
                on_reject(Reject(source=path.name, line=number + 1, field=None,
                                 error=f"unreadable Parquet from here on: {exc}", raw="", unit="row"))  # fmt: skip
                yield number + 1, None
                return
            for row in _batch_rows(batch):
                number += 1
                if isinstance(row, Exception):
                    on_reject(Reject(source=path.name, line=number, field=None,
                                     error=f"unreadable cell: {row}", raw="", unit="row"))  # fmt: skip
                    yield number, None
                else:
                    yield number, row

    try:
        yield from _convert_rows(rows(), kind, path.name, "row", on_reject, lang)
    finally:
        table.close()


def _batch_rows(batch: Any) -> Iterator[dict[str, Any] | Exception]:
    """A batch's rows as dicts; a row whose cells cannot become Python values (Parquet does not
    check that its strings are UTF-8) comes out as the error, the batch's other rows are kept."""
    try:
        yield from batch.to_pylist()
        return
    except (ValueError, OverflowError):  # UnicodeDecodeError is a ValueError
        pass  # find the bad rows one by one; only damaged batches pay for this
    for i in range(batch.num_rows):
        try:
            yield batch.slice(i, 1).to_pylist()[0]
        except (ValueError, OverflowError) as exc:
            yield exc
