"""A live room's audio in the service: one transcriber per room, a copy of what was heard, and
the worker that follows a stream URL.

Audio comes in two ways, both into the same `LiveRoom`: chunks posted to
`POST /api/v1/rooms/{room}/audio`, or a stream URL (HLS or HTTP-FLV) that a thread of the service
reads as it arrives (`POST /api/v1/rooms/{room}/stream`). The room keeps a WAV copy of what it
heard (16 kHz mono, about 115 MB an hour) so that the dashboard can play a finding's moment.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import numpy as np

from clearlive.errors import InputError
from clearlive.model.events import Utterance

STREAM_HOSTS_ENV = "CLEARLIVE_STREAM_HOSTS"


def recording_path(root: Path, tenant: str, room_id: str, t0_ms: int) -> Path:
    # Quoted, so that a room id can never climb out of the folder (rooms are free text).
    return root / quote(tenant, safe="") / quote(room_id, safe="") / f"{t0_ms}.wav"


def recording_url(room_id: str, t0_ms: int) -> str:
    return f"/api/v1/rooms/{quote(room_id, safe='')}/recordings/{t0_ms}.wav"


@dataclass
class LiveRoom:
    stream: Any  # clearlive.watch.audio.asr.StreamTranscriber
    t0_ms: int  # wall-clock time of second 0 of the room's audio
    recording: Path | None = None  # the WAV copy, when the service keeps recordings
    utterances: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    _wav: wave.Wave_write | None = None

    def hear(self, room_id: str, samples: np.ndarray, final: bool) -> list[Utterance]:
        """Transcribe the next piece of the room's audio (in order: callers hold `lock`) and keep a
        copy; the sentences it completes, as host utterances."""
        from clearlive.watch.audio.asr import text_word_times

        self._keep(samples, final)
        out = []
        for seg in self.stream.feed(samples, final=final):
            self.utterances += 1
            out.append(
                Utterance(
                    room_id=room_id,
                    ts=self.t0_ms + round(seg.start * 1000),
                    id=f"audio:{room_id}:{self.t0_ms}:{self.utterances}",
                    lang=seg.lang,
                    text=seg.text,
                    start=seg.start,
                    end=seg.end,
                    source="asr",
                    asr_model=self.stream.model.name,
                    avg_logprob=seg.avg_logprob,
                    recording=recording_url(room_id, self.t0_ms) if self.recording is not None else None,
                    word_times=text_word_times(seg, self.stream.opts.lang) or None,
                )
            )
        return out

    def _keep(self, samples: np.ndarray, final: bool) -> None:
        if self.recording is None:
            return
        if self._wav is None:
            self.recording.parent.mkdir(parents=True, exist_ok=True)
            self._wav = wave.open(str(self.recording), "wb")
            self._wav.setnchannels(1)
            self._wav.setsampwidth(2)
            self._wav.setframerate(16_000)
        # writeframes patches the header each time: the file plays while the room is live.
        self._wav.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
        if final:
            self.close()

    def close(self) -> None:
        if self._wav is not None:
            self._wav.close()
            self._wav = None


def check_stream_url(url: str) -> None:
    """An InputError unless the service may fetch `url`: http(s) only, and not an address inside
    this network (loopback, private, link-local) unless its host is listed in
    CLEARLIVE_STREAM_HOSTS. The service fetches what an ingest key names: without this, a key
    could make it read internal pages (server-side request forgery)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{url}: a stream URL must be http:// or https:// with a host")
    allowed = {h.strip().lower() for h in os.environ.get(STREAM_HOSTS_ENV, "").split(",") if h.strip()}
    host = parts.hostname.lower()
    if allowed:
        if host not in allowed:
            raise InputError(f"{url}: host {host} is not in {STREAM_HOSTS_ENV}")
        return
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)}
    except OSError as exc:
        raise InputError(f"{url}: cannot resolve {host} ({exc})") from None
    for a in addresses:
        ip = ipaddress.ip_address(a.split("%")[0])
        if not ip.is_global:
            raise InputError(f"{url}: {host} is an internal address ({ip}); list it in {STREAM_HOSTS_ENV} to follow it")


@dataclass
class Follower:
    """A thread that reads a room's stream URL until it ends or is stopped."""

    url: str
    thread: threading.Thread | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    heard_s: float = 0.0
    utterances: int = 0
    problem: str | None = None
    done: bool = False

    def status(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "following": not self.done,
            "heard_s": round(self.heard_s, 3),
            "utterances": self.utterances,
            "problem": self.problem,
        }


def follow(
    follower: Follower,
    room_id: str,
    room: LiveRoom,
    submit: Callable[[list[Utterance]], None],
    on_end: Callable[[], None],
    block_s: float = 5.0,
) -> None:
    """Read the stream block by block into the room's transcriber; submit each block's sentences.
    Runs in its own thread; ends when the stream ends, fails, or `follower.stop` is set."""
    from clearlive.watch.audio.decode import StreamReader

    reader = StreamReader(follower.url, block_s=block_s)
    try:
        for block in reader.blocks():
            with room.lock:
                events = room.hear(room_id, block, final=False)
            follower.heard_s = reader.heard_s
            if events:
                follower.utterances += len(events)
                submit(events)
            if follower.stop.is_set():
                break
        with room.lock:  # the sentence still open ends with the stream
            events = room.hear(room_id, np.zeros(0, dtype=np.float32), final=True)
        if events:
            follower.utterances += len(events)
            submit(events)
        follower.problem = reader.problem
    except Exception as exc:
        follower.problem = str(exc)
    finally:
        room.close()
        follower.done = True
        on_end()
