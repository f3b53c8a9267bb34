"""`clearlive adapt`: recorded TikTok LIVE or Douyin webcast messages to ClearLive events."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Console

from clearlive.errors import InputError

err = Console(stderr=True, soft_wrap=True)


def adapt_command(
    path: Annotated[Path, typer.Argument(help="A recording: JSON Lines of the client's messages.")],
    source: Annotated[str, typer.Option("--from", help="tiktok (TikTokLive event names) or douyin (Webcast methods).")],
    room: Annotated[str, typer.Option("--room", help="The room id the recording is of.")],
    anchor: Annotated[str | None, typer.Option("--anchor", help="The host's anchor id.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write events here instead of stdout.")] = None,
    rejects: Annotated[
        Path | None, typer.Option("--rejects", help="Where unreadable messages go (default: beside --out).")
    ] = None,
) -> None:
    """Turn a recording of a live client's messages into ClearLive events (JSON Lines), ready to scan."""
    from clearlive.watch.sources.adapters import SOURCES, adapt_recording
    from clearlive.watch.sources.rejects import Reject, RejectSink

    if source not in SOURCES:
        raise typer.BadParameter(f"use one of {', '.join(SOURCES)}", param_hint="--from")
    if not path.exists():
        raise InputError(f"{path}: no such file")
    sink = RejectSink(
        rejects or (out.with_name(out.name + ".rejects.jsonl") if out else Path("clearlive-rejects.jsonl"))
    )
    fh = out.open("wb") if out else sys.stdout.buffer
    written = skipped = lines = foreign = 0
    notes: list[str] = []
    try:
        with path.open("rb") as recording:
            for line, events in adapt_recording(recording, room, source, anchor):
                lines += not line.closing
                foreign += not line.known
                notes += [f"{path.name}:{line.n}: field `{n.field}`: {n.message}" for n in line.notes]
                if events is None:
                    sink(Reject(source=path.name, line=line.n, field=line.field, error=line.error or "", raw=""))
                    continue
                if not events and line.known:
                    skipped += 1
                for ev in events:
                    fh.write(msgspec.json.encode(ev) + b"\n")
                    written += 1
    finally:
        if out:
            fh.close()
        sink.close()
    err.print(
        f"{written} events written, {skipped} messages with nothing to read, {sink.count} rejected"
        + (f", {foreign} lines not {source} messages" if foreign else "")
        + (f", {len(notes)} optional fields left out" if notes else "")
    )
    for r in sink.first[:10]:
        err.print(f"  rejected {r.describe()}", markup=False, highlight=False)
    for note in notes[:10]:
        err.print(f"  left out {note}", markup=False, highlight=False)
    if written == 0:
        why = (
            "it is empty"
            if not lines
            else (
                f"none of its {lines} lines is a {source} client's message (is --from right?)"
                if foreign == lines
                else f"{sink.count} of {lines} lines rejected, the rest carry nothing ClearLive reads"
            )
        )
        raise InputError(f"{path}: nothing read: {why}")
