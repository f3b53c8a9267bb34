"""`clearlive transcribe`: audio or video to a WebVTT and a Whisper JSON transcript a person can correct."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from clearlive.cli.asr_options import AsrModelOpt, AsrSha256Opt, AsrVadOpt, AsrWindowOpt, asr_settings
from clearlive.errors import InputError

err = Console(stderr=True, soft_wrap=True)


def transcribe_command(
    paths: Annotated[list[Path], typer.Argument(help="Audio or video files (.wav .mp3 .m4a .aac .mp4 .flv .mkv ...).")],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out-dir", "-o", help="Where FILE.vtt and FILE.json go (default: beside each input)."),
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="The room's language: zh, zh-Hant, en, or mixed (detect).")
    ] = None,
    asr_model: AsrModelOpt = None,
    asr_sha256: AsrSha256Opt = None,
    asr_window: AsrWindowOpt = 0.0,
    asr_vad: AsrVadOpt = False,
) -> None:
    """Transcribe recordings offline; correct the .vtt or .json and pass it to `clearlive scan`."""
    from clearlive.watch.audio import is_audio_path, require
    from clearlive.watch.audio.asr import AsrOptions, check_language, transcribe
    from clearlive.watch.audio.decode import decode
    from clearlive.watch.audio.export import write_transcripts
    from clearlive.watch.audio.model import load_model

    require()
    check_language(lang)
    settings = asr_settings(asr_model, asr_sha256, asr_window, asr_vad)
    for path in paths:
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        if not is_audio_path(str(path)):
            raise InputError(f"{path}: not an audio or video file")
    model = load_model(settings.model_dir, settings.model_sha256)
    opts = AsrOptions(lang=lang, window_s=settings.window_s, overlap_s=settings.overlap_s, vad=settings.vad)
    for path in paths:
        audio = decode(path)
        if audio.problem:
            err.print(f"[yellow]warning:[/] {path}: {audio.problem}", highlight=False)
        segments = transcribe(model, audio.samples, opts)
        stem = (out_dir or path.parent) / path.name.rsplit(".", 1)[0]
        stem.parent.mkdir(parents=True, exist_ok=True)
        vtt, js = write_transcripts(segments, model.name, model.sha256, path, stem, lang)
        err.print(f"{path}: {len(segments)} segment(s), {audio.seconds:.1f} s -> {vtt}, {js}", highlight=False)
