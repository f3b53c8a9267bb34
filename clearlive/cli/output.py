"""Writing findings: JSON Lines, a JSON array, or a table for people."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import msgspec
from rich.console import Console
from rich.table import Table

from clearlive.errors import InputError
from clearlive.model.findings import Finding

FORMATS = ("jsonl", "json", "table")
_encoder = msgspec.json.Encoder()


def write_jsonl(findings: Iterable[Finding], fh: IO[bytes]) -> int:
    n = 0
    for f in findings:
        fh.write(_encoder.encode(f) + b"\n")
        n += 1
    fh.flush()
    return n


def write_json(findings: list[Finding], fh: IO[bytes]) -> None:
    fh.write(msgspec.json.format(_encoder.encode(findings), indent=2) + b"\n")
    fh.flush()


def findings_table(findings: list[Finding]) -> Table:
    table = Table(show_lines=False, header_style="bold")
    for col in ("time", "room", "severity", "category", "rule", "quote", "legal basis"):
        table.add_column(col, overflow="fold")
    for f in findings:
        e = f.evidence
        ctx = e.context
        i = ctx.find(e.text)
        quote = f"{ctx[:i]}[bold red]{e.text}[/]{ctx[i + len(e.text) :]}" if i >= 0 else e.text
        table.add_row(
            f.ts[11:19],
            f.room_id,
            f.severity,
            f.category,
            f.rule_id,
            quote,
            ", ".join(lb.id + ("" if lb.mark == "V" else f" [{lb.mark}]") for lb in f.legal_basis),
        )
    return table


def write_table(findings: list[Finding], console: Console) -> None:
    console.print(findings_table(findings))


def read_records(path: Path, kind: type[Any]) -> list[Any]:
    """Every non-blank line of a JSON Lines file as `kind`; a bad line is an InputError naming it."""
    out = []
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror}") from exc
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                out.append(msgspec.json.decode(line, type=kind))
            except msgspec.ValidationError as exc:
                raise InputError(f"{path}:{number}: {exc}") from exc
            except msgspec.DecodeError as exc:
                raise InputError(f"{path}:{number}: not JSON: {exc}") from exc
    return out
