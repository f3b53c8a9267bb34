"""Inputs: find the reader for each path and stream events, rejecting bad records."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from clearlive.errors import InputError
from clearlive.model.events import TYPE_BY_NAME, EventBase, parse_ts
from clearlive.watch.audio import AUDIO_SUFFIXES, is_audio_path, is_stream_url
from clearlive.watch.sources.audio import AsrSettings, read_audio
from clearlive.watch.sources.jsonl import read_jsonl, source_name
from clearlive.watch.sources.rejects import ReadStats, Reject, RejectSink
from clearlive.watch.sources.tables import read_csv, read_parquet, table_type_for
from clearlive.watch.sources.transcripts import TranscriptOptions, read_srt, read_vtt, read_whisper

__all__ = ["InputOptions", "ReadStats", "Reject", "RejectSink", "read_inputs"]

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz", ".json.gz")


@dataclass(frozen=True, slots=True)
class InputOptions:
    """How to read inputs that do not describe themselves (transcripts and tables)."""

    room_id: str | None = None  # transcripts: the room (default: the file name without suffix)
    session_id: str | None = None
    anchor_id: str | None = None
    t0: str | int | None = None  # transcripts: wall-clock time of second 0
    table_type: str | None = None  # tables: the event type (default: from the file name)
    lang: str | None = None
    asr: AsrSettings = field(default_factory=AsrSettings)  # audio and video: the speech model and its windows


def check_paths(paths: list[str]) -> None:
    """Fail early (exit 2) on inputs that cannot be read at all."""
    for p in paths:
        if p == "-" or is_stream_url(p):
            continue
        path = Path(p)
        if not path.exists():
            raise InputError(f"{p}: no such file")
        if path.is_dir():
            raise InputError(f"{p}: is a directory; pass the files inside it")
        if not any(p.endswith(s) for s in (*JSONL_SUFFIXES, ".vtt", ".srt", ".json", ".csv", ".parquet")):
            if not is_audio_path(p):
                raise InputError(
                    f"{p}: unknown input format (use .jsonl[.gz], .vtt, .srt, .json, .csv, .parquet "
                    f"or audio/video: {', '.join(AUDIO_SUFFIXES)}, or an http(s) stream URL)"
                )


def _transcript_options(path: Path, opts: InputOptions) -> TranscriptOptions:
    t0 = parse_ts(opts.t0) if opts.t0 is not None else 0
    return TranscriptOptions(
        room_id=opts.room_id or path.name.split(".")[0],
        t0_ms=t0,
        session_id=opts.session_id,
        anchor_id=opts.anchor_id,
        lang=opts.lang,
    )


def _reader(p: str, opts: InputOptions, on_reject: Callable[[Reject], None]) -> Iterator[tuple[int, EventBase | None]]:
    if p == "-" or (p.endswith(JSONL_SUFFIXES) and not is_stream_url(p)):
        return read_jsonl(p, on_reject, opts.lang)
    path = Path(p.split("?")[0])
    if p.endswith(".vtt"):
        return read_vtt(path, _transcript_options(path, opts), on_reject)
    if p.endswith(".srt"):
        return read_srt(path, _transcript_options(path, opts), on_reject)
    if is_audio_path(p) or is_stream_url(p):
        return read_audio(p, _transcript_options(path, opts), on_reject, opts.asr)
    if p.endswith(".json"):
        try:
            doc = msgspec.json.decode(path.read_bytes())
        except msgspec.DecodeError as exc:
            raise InputError(f"{p}: not valid JSON: {exc}") from None
        if not isinstance(doc, dict) or "segments" not in doc:
            raise InputError(f"{p}: a .json input must be Whisper output with 'segments'; use .jsonl for events")
        return read_whisper(path, _transcript_options(path, opts), on_reject, doc)
    kind = table_type_for(path, opts.table_type)
    if kind is not None and kind not in TYPE_BY_NAME:
        raise InputError(f"{p}: unknown event type {kind!r}")
    if p.endswith(".csv"):
        return read_csv(path, kind, on_reject, opts.lang)
    return read_parquet(path, kind, on_reject, opts.lang)


def read_inputs(
    paths: list[str], opts: InputOptions, on_reject: Callable[[Reject], None], stats: ReadStats | None = None
) -> Iterator[EventBase]:
    """Stream events from every path; bad records go to `on_reject`, counts to `stats`.

    Several files are merged in time order (each file in its own order, ties in the order of the
    paths), as a live feed would interleave them: a room's transcript and its events file make one
    broadcast, and a room must not end at its session_end before its host's lines are read."""
    check_paths(paths)
    stats = stats if stats is not None else ReadStats()
    streams = [_read_one(p, opts, on_reject, stats) for p in paths]
    if len(streams) == 1:
        yield from streams[0]
    else:
        yield from heapq.merge(*streams, key=lambda ev: ev.ts)


def _read_one(
    p: str, opts: InputOptions, on_reject: Callable[[Reject], None], stats: ReadStats
) -> Iterator[EventBase]:
    name = source_name(p)
    read = rejected = 0
    try:
        for _, ev in _reader(p, opts, on_reject):
            read += 1
            if ev is None:
                rejected += 1
            else:
                yield ev
    finally:  # counted once per file: a Counter update per event costs more than the decode
        stats.read[name] += read
        stats.rejected[name] += rejected
        stats.accepted[name] += read - rejected
