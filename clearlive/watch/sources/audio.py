"""Audio and video files as host speech: decoded with PyAV, transcribed offline, one utterance per segment."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clearlive.model.events import EventBase, Utterance
from clearlive.watch.sources.rejects import Reject
from clearlive.watch.sources.transcripts import TranscriptOptions


@dataclass(frozen=True, slots=True)
class AsrSettings:
    """Which model and how: `clearlive scan --asr-model DIR --asr-window S`."""

    model_dir: Path | None = None  # None: the registry's Whisper base model
    model_sha256: str | None = None
    window_s: float = 0.0
    overlap_s: float = 4.0
    vad: bool = False


LIVE_WINDOW_S = 15.0  # a stream followed from its URL is transcribed in windows (docs/audio.md)


def read_audio(
    source: str, opts: TranscriptOptions, on_reject: Callable[[Reject], None], settings: AsrSettings
) -> Iterator[tuple[int, EventBase | None]]:
    """A recording (a file) or a live stream (an HLS or HTTP-FLV URL, followed until it ends) as
    host utterances. A stream is read as it arrives, in windows, so its findings come while the
    room is still live."""
    from clearlive.watch.audio.asr import (
        AsrOptions,
        AsrSegment,
        check_language,
        text_word_times,
        transcribe,
        transcribe_stream,
    )
    from clearlive.watch.audio.decode import StreamReader, decode, is_stream_url
    from clearlive.watch.audio.model import load_model

    check_language(opts.lang)
    live = is_stream_url(source)
    name = source.rstrip("/").rsplit("/", 1)[-1].split("?")[0] if live else Path(source).name
    window = settings.window_s or (LIVE_WINDOW_S if live else 0.0)
    overlap = settings.overlap_s if settings.window_s else window / 3
    asr = AsrOptions(lang=opts.lang, window_s=window, overlap_s=overlap, vad=settings.vad)
    segments: Iterator[AsrSegment]
    if live:
        reader = StreamReader(source)
        blocks = reader.blocks()
        first = next(blocks, None)  # an unreachable stream fails before the model loads
        model = load_model(settings.model_dir, settings.model_sha256)
        segments = transcribe_stream(model, _chain(first, blocks), asr)
    else:
        audio = decode(Path(source))  # an unreadable file fails before the model loads
        model = load_model(settings.model_dir, settings.model_sha256)
        if audio.problem:
            on_reject(Reject(source=name, line=0, field="audio", error=audio.problem, raw="", unit="file"))
        segments = iter(transcribe(model, audio.samples, asr))
    for number, seg in enumerate(segments, start=1):
        yield (
            number,
            Utterance(
                room_id=opts.room_id,
                ts=opts.t0_ms + round(seg.start * 1000),
                id=f"{name}#asr{number}",
                session_id=opts.session_id,
                anchor_id=opts.anchor_id,
                lang=seg.lang,
                text=seg.text,
                speaker=opts.speaker,
                start=seg.start,
                end=seg.end,
                source="asr",
                asr_model=model.name,
                avg_logprob=seg.avg_logprob,
                recording=source,
                word_times=text_word_times(seg, opts.lang) or None,
            ),
        )
    if live and reader.problem:
        on_reject(Reject(source=name, line=0, field="audio", error=reader.problem, raw="", unit="file"))


def _chain(first: np.ndarray | None, rest: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    if first is not None:
        yield first
    yield from rest
