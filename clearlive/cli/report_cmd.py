"""`clearlive report`: offline HTML from a DuckDB file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


def report_command(
    db: Annotated[Path, typer.Option("--db", help="DuckDB file written by `clearlive scan --db`.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Index page to write; session pages go beside it.")] = Path(
        "report.html"
    ),
    lang: Annotated[str, typer.Option("--lang", help="Language of the pages: en or zh.")] = "en",
) -> None:
    """Write a self-contained HTML page per session and an index (no network needed to view)."""
    from clearlive.report import write_report  # DuckDB, Jinja and vl-convert load only here

    paths = write_report(db, out, lang)
    Console(stderr=True, soft_wrap=True).print(f"wrote {paths.index} and {len(paths.sessions)} session page(s)")
