"""The speech-recognition options shared by `clearlive scan` and `clearlive transcribe`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clearlive.watch.sources.audio import AsrSettings

AsrModelOpt = Annotated[
    Path | None,
    typer.Option(
        "--asr-model",
        help="Audio/video: a CTranslate2 Whisper model directory (default: the registry's Whisper base model).",
    ),
]
AsrSha256Opt = Annotated[
    str | None, typer.Option("--asr-sha256", help="Audio/video: the SHA-256 that --asr-model's model.bin must have.")
]
AsrWindowOpt = Annotated[
    float,
    typer.Option(
        "--asr-window",
        help="Audio/video: transcribe in overlapping windows of this many seconds (0: the whole file at once).",
    ),
]
AsrVadOpt = Annotated[
    bool, typer.Option("--asr-vad", help="Audio/video: skip music and silence with the bundled Silero VAD.")
]


def asr_settings(model: Path | None, sha256: str | None, window: float, vad: bool) -> AsrSettings:
    if window < 0 or 0 < window < 8:
        raise typer.BadParameter("use 0 (whole file) or at least 8 seconds", param_hint="--asr-window")
    # A third of the window overlaps: Whisper often skips a sentence that starts cut off at a
    # window's beginning, and a quarter lost words where a third did not (docs/audio.md).
    return AsrSettings(model_dir=model, model_sha256=sha256, window_s=window, overlap_s=window / 3, vad=vad)
