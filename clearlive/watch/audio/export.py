"""Transcripts out: WebVTT and Whisper JSON, which `clearlive scan` reads back after a person corrects them."""

from __future__ import annotations

from pathlib import Path

import msgspec

from clearlive.watch.audio.asr import AsrSegment


def _vtt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def to_vtt(segments: list[AsrSegment], model: str, source: str) -> str:
    lines = ["WEBVTT", "", f"NOTE transcribed from {source} by {model}; correct the text and scan this file again", ""]
    for seg in segments:
        lines += [f"{_vtt_time(seg.start)} --> {_vtt_time(seg.end)}", seg.text.replace("\n", " "), ""]
    return "\n".join(lines)


def to_whisper_json(segments: list[AsrSegment], model: str, model_sha256: str, source: str, lang: str | None) -> bytes:
    """Whisper's JSON shape (text, segments, language) plus what the scan needs to say where text came from."""
    doc = {
        "text": " ".join(s.text for s in segments),
        "language": lang,
        "source": source,
        "model": {"name": model, "sha256": model_sha256},
        "segments": [
            {
                "id": i,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "heard": s.heard,
                "language": s.lang,
                "avg_logprob": s.avg_logprob,
                "no_speech_prob": s.no_speech_prob,
                "words": [
                    {"start": round(a, 3), "end": round(b, 3), "word": w, "probability": round(p, 4)}
                    for a, b, w, p in s.words
                ],
            }
            for i, s in enumerate(segments)
        ],
    }
    return msgspec.json.format(msgspec.json.encode(doc), indent=2)


def write_transcripts(
    segments: list[AsrSegment], model: str, model_sha256: str, source: Path, out_stem: Path, lang: str | None
) -> tuple[Path, Path]:
    vtt = out_stem.with_name(out_stem.name + ".vtt")
    js = out_stem.with_name(out_stem.name + ".json")
    vtt.write_text(to_vtt(segments, model, source.name), encoding="utf-8")
    js.write_bytes(to_whisper_json(segments, model, model_sha256, source.name, lang) + b"\n")
    return vtt, js
