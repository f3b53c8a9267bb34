"""Audio and video files as host speech: decoded with PyAV, transcribed offline, one utterance per segment."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from clearlive.model.events import EventBase, Utterance
from clearlive.sources.rejects import Reject
from clearlive.sources.transcripts import TranscriptOptions


@dataclass(frozen=True, slots=True)
class AsrSettings:
    """Which model and how: `clearlive scan --asr-model DIR --asr-window S`."""

    model_dir: Path | None = None  # None: the registry's Whisper base model
    model_sha256: str | None = None
    window_s: float = 0.0
    overlap_s: float = 4.0
    vad: bool = False


def read_audio(
    path: Path, opts: TranscriptOptions, on_reject: Callable[[Reject], None], settings: AsrSettings
) -> Iterator[tuple[int, EventBase | None]]:
    from clearlive.audio.asr import AsrOptions, check_language, transcribe
    from clearlive.audio.decode import decode
    from clearlive.audio.model import load_model

    check_language(opts.lang)
    audio = decode(path)  # an unreadable file fails before the model loads
    model = load_model(settings.model_dir, settings.model_sha256)
    if audio.problem:
        on_reject(Reject(source=path.name, line=0, field="audio", error=audio.problem, raw="", unit="file"))
    asr = AsrOptions(lang=opts.lang, window_s=settings.window_s, overlap_s=settings.overlap_s, vad=settings.vad)
    for number, seg in enumerate(transcribe(model, audio.samples, asr), start=1):
        yield (
            number,
            Utterance(
                room_id=opts.room_id,
                ts=opts.t0_ms + round(seg.start * 1000),
                id=f"{path.name}#asr{number}",
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
            ),
        )
