"""Speech transcripts: WebVTT, SRT and Whisper JSON; each cue becomes a host `utterance`.

Files are split into cue blocks here so that one malformed cue is rejected with its line number
while the rest of the file is read; each block is parsed by the format's own library.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import srt
import webvtt

from clearlive.model.events import MAX_TEXT_CHARS, EventBase, Text, Utterance
from clearlive.watch.sources.rejects import Reject, field_of


@dataclass(frozen=True, slots=True)
class TranscriptOptions:
    room_id: str
    t0_ms: int = 0  # wall-clock time of second 0 of the recording
    session_id: str | None = None
    anchor_id: str | None = None
    lang: str | None = None
    speaker: str = "host"


def _blocks(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, block text) for each blank-line separated block."""
    start = 0
    buf: list[str] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            if not buf:
                start = lineno
            buf.append(line)
        elif buf:
            yield start, "\n".join(buf)
            buf = []
    if buf:
        yield start, "\n".join(buf)


def _cue_text(raw: str) -> str:
    text = raw.strip()
    if not text:
        raise ValueError("empty cue text")
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"cue text of {len(text):,} characters, over the limit of {MAX_TEXT_CHARS:,}")
    return text


def _utterance(
    opts: TranscriptOptions, source: str, line: int, text: str, start: float, end: float, speaker: str | None
) -> Utterance:
    return Utterance(
        room_id=opts.room_id,
        ts=opts.t0_ms + round(start * 1000),
        id=f"{source}:{line}",
        session_id=opts.session_id,
        anchor_id=opts.anchor_id,
        lang=opts.lang,
        text=text,
        speaker=speaker or opts.speaker,
        start=start,
        end=end,
    )


_NOT_UTF8 = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, kept as surrogates


def _read_text(path: Path) -> str:
    """The file's text; bytes that are not UTF-8 stay visible (as surrogates) so their cue is rejected."""
    return path.read_text(encoding="utf-8-sig", errors="surrogateescape")


def _check_utf8(block: str) -> None:
    if _NOT_UTF8.search(block):
        raise ValueError("not UTF-8 text")


def read_vtt(
    path: Path, opts: TranscriptOptions, on_reject: Callable[[Reject], None]
) -> Iterator[tuple[int, EventBase | None]]:
    source = path.name
    # Each block is parsed on its own behind a synthetic header, so a file without its WEBVTT
    # header line still reads.
    for line, block in _blocks(_read_text(path)):
        if block.startswith(("WEBVTT", "NOTE", "STYLE", "REGION")):
            continue
        try:
            _check_utf8(block)
            captions = webvtt.from_buffer(io.StringIO("WEBVTT\n\n" + block + "\n")).captions
            if len(captions) != 1:
                raise ValueError("expected exactly one cue with a timing line")
            cap = captions[0]
            text = _cue_text(cap.text)
        except Exception as exc:  # the library raises several types for malformed cues
            on_reject(
                Reject(source=source, line=line, field="cue", error=f"malformed WebVTT cue: {exc}", raw=block[:2000])
            )
            yield line, None
            continue
        yield (
            line,
            _utterance(opts, source, line, text, cap.start_in_seconds, cap.end_in_seconds, getattr(cap, "voice", None)),
        )


def read_srt(
    path: Path, opts: TranscriptOptions, on_reject: Callable[[Reject], None]
) -> Iterator[tuple[int, EventBase | None]]:
    source = path.name
    for line, block in _blocks(_read_text(path)):
        try:
            _check_utf8(block)
            subs = list(srt.parse(block + "\n"))
            if len(subs) != 1:
                raise ValueError("expected exactly one cue")
            sub = subs[0]
            text = _cue_text(sub.content)
        except Exception as exc:  # srt raises SRTParseError and ValueError subclasses
            on_reject(
                Reject(source=source, line=line, field="cue", error=f"malformed SRT cue: {exc}", raw=block[:2000])
            )
            yield line, None
            continue
        yield line, _utterance(opts, source, line, text, sub.start.total_seconds(), sub.end.total_seconds(), None)


class WhisperSegment(msgspec.Struct):
    start: float
    end: float
    text: Text
    id: int | None = None
    language: str | None = None  # per segment, as `clearlive transcribe` writes for mixed rooms
    words: object = None  # Whisper's word timestamps [{"word", "start", "end"}], read by _word_times


class WhisperWord(msgspec.Struct):
    word: str
    start: float
    end: float


@functools.cache
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def _word_times(seg: WhisperSegment, text: str, lang: str | None) -> list[tuple[int, float, float]] | None:
    """The segment's word timestamps on its (maybe corrected) text, so findings point at the words
    they quote. Malformed words only lose that: the segment's text and span still scan."""
    if not isinstance(seg.words, list) or not seg.words:
        return None
    try:
        words = msgspec.convert(seg.words, list[WhisperWord])
    except msgspec.ValidationError:
        return None
    from clearlive.watch.audio.timing import word_times

    fold = None if lang == "zh-Hant" else _t2s().convert
    return word_times(text, [(w.start, w.end, w.word) for w in words], fold) or None


def read_whisper(
    path: Path, opts: TranscriptOptions, on_reject: Callable[[Reject], None], doc: dict
) -> Iterator[tuple[int, EventBase | None]]:
    """Whisper's JSON output: {"text", "segments": [{"start", "end", "text"}], "language"}."""
    source = path.name
    lang = opts.lang or doc.get("language")
    segments = doc.get("segments")
    if not isinstance(segments, list):
        on_reject(
            Reject(source=source, line=0, field="segments", error="expected a list of segments", raw="", unit="file")
        )
        yield 0, None
        return
    for i, raw in enumerate(segments):
        number = i + 1
        try:
            seg = msgspec.convert(raw, WhisperSegment)
        except msgspec.ValidationError as exc:
            msg = str(exc)
            fld = field_of(msg)
            on_reject(
                Reject(
                    source=source,
                    line=number,
                    field=f"segments[{i}].{fld}" if fld else f"segments[{i}]",
                    error=msg,
                    raw=msgspec.json.encode(raw).decode()[:2000],
                    unit="segment",
                )
            )
            yield number, None
            continue
        if not seg.text.strip():
            on_reject(
                Reject(
                    source=source,
                    line=number,
                    field=f"segments[{i}].text",
                    error="empty segment text",
                    raw=msgspec.json.encode(raw).decode()[:2000],
                    unit="segment",
                )
            )
            yield number, None
            continue
        ev = _utterance(opts, source, number, seg.text.strip(), seg.start, seg.end, None)
        ev.id = f"{source}#seg{number}"
        ev.lang = opts.lang or seg.language or lang
        ev.word_times = _word_times(seg, ev.text, ev.lang)
        yield number, ev
