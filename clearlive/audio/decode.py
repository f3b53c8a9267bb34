"""Audio and video to 16 kHz mono float32 samples with PyAV's bundled FFmpeg (no system ffmpeg)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import NamedTuple

import av
import numpy as np

from clearlive.errors import InputError

SAMPLE_RATE = 16_000  # what Whisper's feature extractor expects


class Decoded(NamedTuple):
    samples: np.ndarray  # mono float32 at SAMPLE_RATE
    problem: str | None = None  # why decoding stopped early (a cut-off tail), if it did

    @property
    def seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def decode(source: Path | bytes, name: str | None = None) -> Decoded:
    """All audio of a file (or of an in-memory file such as a live chunk) as mono float32 at 16 kHz.

    The first audio stream is used; a video's pictures are never decoded. A file PyAV cannot
    open, or one without audio, is an InputError naming it.
    """
    label = name or (str(source) if isinstance(source, Path) else "audio chunk")
    handle = io.BytesIO(source) if isinstance(source, bytes) else str(source)
    try:
        container = av.open(handle, mode="r", metadata_errors="ignore")
    except (av.error.FFmpegError, OSError) as exc:
        raise InputError(f"{label}: not audio or video that FFmpeg can read ({exc})") from None
    with container:
        if not container.streams.audio:
            raise InputError(f"{label}: has no audio stream")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        parts: list[np.ndarray] = []
        problem = None
        try:
            for frame in container.decode(stream):
                frame.pts = None  # the resampler re-times; source timestamps may jump in live captures
                parts.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
            parts.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
        except av.error.FFmpegError as exc:
            if not parts:
                raise InputError(f"{label}: audio could not be decoded ({exc})") from None
            # A truncated tail (a recording cut off mid-frame) keeps what decoded before it; the
            # caller reports where it stopped.
            problem = f"decoding stopped after {sum(len(p) for p in parts) / SAMPLE_RATE:.1f} s: {exc}"
    if not parts:
        return Decoded(np.zeros(0, dtype=np.float32), problem)
    return Decoded(np.concatenate(parts).astype(np.float32) / 32768.0, problem)
