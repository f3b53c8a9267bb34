"""Recordings in: decode audio and video with PyAV, transcribe offline with faster-whisper.

Everything here needs the `[audio]` extra (faster-whisper, PyAV and the registry's Whisper base
model); `require()` turns a missing install into a clear error instead of an ImportError.
"""

from __future__ import annotations

from clearlive.errors import InputError

AUDIO_SUFFIXES = (".wav", ".mp3", ".m4a", ".aac", ".mp4", ".flv", ".mkv", ".ogg", ".opus", ".webm", ".flac")


STREAM_SCHEMES = ("http://", "https://")


def is_audio_path(path: str) -> bool:
    return path.lower().endswith(AUDIO_SUFFIXES)


def is_stream_url(source: str) -> bool:
    """A live stream to follow (HLS playlist, HTTP-FLV ...) rather than a file."""
    return source.lower().startswith(STREAM_SCHEMES)


def require() -> None:
    """Fail with an install hint (exit 2) when the audio extra is missing."""
    try:
        import av  # noqa: F401
        import faster_whisper  # noqa: F401
    except ImportError as exc:
        raise InputError(
            f"reading audio or video needs the audio extra: pip install 'clearlive[audio]' ({exc.name} is missing)"
        ) from None
