"""Audio and video to 16 kHz mono float32 samples with PyAV's bundled FFmpeg (no system ffmpeg)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import av
import numpy as np

from clearlive.errors import InputError
from clearlive.watch.audio import is_stream_url

SAMPLE_RATE = 16_000  # what Whisper's feature extractor expects


class Decoded(NamedTuple):
    samples: np.ndarray  # mono float32 at SAMPLE_RATE
    problem: str | None = None  # why decoding stopped early (a cut-off tail), if it did

    @property
    def seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def _pcm(container: av.container.InputContainer, label: str) -> Iterator[np.ndarray]:
    """The container's first audio stream as 16 kHz mono int16 parts, as they decode (a video's
    pictures are never decoded). FFmpeg's errors reach the caller, which keeps what came before."""
    if not container.streams.audio:
        raise InputError(f"{label}: has no audio stream")
    stream = container.streams.audio[0]
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    for frame in container.decode(stream):
        frame.pts = None  # the resampler re-times: timestamps jump in captures, reconnects, reloads
        for f in resampler.resample(frame):
            yield f.to_ndarray().reshape(-1)
    for f in resampler.resample(None):
        yield f.to_ndarray().reshape(-1)


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
        parts: list[np.ndarray] = []
        problem = None
        try:
            parts.extend(_pcm(container, label))
        except av.error.FFmpegError as exc:
            if not parts:
                raise InputError(f"{label}: audio could not be decoded ({exc})") from None
            # A truncated tail (a recording cut off mid-frame) keeps what decoded before it; the
            # caller reports where it stopped.
            problem = f"decoding stopped after {sum(len(p) for p in parts) / SAMPLE_RATE:.1f} s: {exc}"
    if not parts:
        return Decoded(np.zeros(0, dtype=np.float32), problem)
    return Decoded(np.concatenate(parts).astype(np.float32) / 32768.0, problem)


# The protocols FFmpeg may open for a stream URL and everything it references (an HLS playlist's
# segments and keys): never file: or other local protocols a playlist could point at.
_STREAM_PROTOCOLS = "http,https,tcp,tls,crypto"
STREAM_TIMEOUT_S = 15.0  # a stream that sends nothing for this long has ended


class StreamReader:
    """A live stream (HLS playlist or HTTP-FLV, any container FFmpeg reads over HTTP) as blocks of
    16 kHz mono samples, read as they arrive: what `StreamTranscriber.feed` takes.

    `problem` says why the stream stopped when it did not simply end (a dropped connection, a
    corrupt packet); what was heard before it is kept, as for a cut-off file."""

    def __init__(self, url: str, block_s: float = 5.0, timeout_s: float = STREAM_TIMEOUT_S) -> None:
        if not is_stream_url(url):
            raise InputError(f"{url}: a stream URL must start with http:// or https://")
        self.url = url
        self.block = max(1, round(block_s * SAMPLE_RATE))
        self.timeout_s = timeout_s
        self.problem: str | None = None
        self.heard_s = 0.0

    def blocks(self) -> Iterator[np.ndarray]:
        options = {"protocol_whitelist": _STREAM_PROTOCOLS, "rw_timeout": str(int(self.timeout_s * 1e6))}
        try:
            container = av.open(self.url, mode="r", options=options, timeout=self.timeout_s, metadata_errors="ignore")
        except (av.error.FFmpegError, OSError) as exc:
            raise InputError(f"{self.url}: cannot open the stream ({exc})") from None
        with container:
            pending: list[np.ndarray] = []
            held = 0
            try:
                for part in _pcm(container, self.url):
                    pending.append(part)
                    held += len(part)
                    while held >= self.block:
                        yield self._take(pending, self.block)
                        held -= self.block
            except (av.error.FFmpegError, OSError) as exc:
                self.problem = f"the stream stopped after {self.heard_s + held / SAMPLE_RATE:.1f} s: {exc}"
            rest = sum(len(p) for p in pending)
            if rest:
                yield self._take(pending, rest)

    def _take(self, pending: list[np.ndarray], n: int) -> np.ndarray:
        joined = np.concatenate(pending)
        out, tail = joined[:n], joined[n:]
        pending.clear()
        if len(tail):
            pending.append(tail)
        self.heard_s += n / SAMPLE_RATE
        return out.astype(np.float32) / 32768.0
