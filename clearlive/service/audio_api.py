"""`POST /api/v1/rooms/{room_id}/audio`: a live room's audio, chunk by chunk, becomes host utterances.

Each request carries one chunk as a self-contained audio file (WAV, Ogg/Opus, WebM, MP3, AAC,
MP4 ... anything PyAV decodes), in order. The room's chunks feed one StreamTranscriber, so the
windows, seams and sentences are those of `clearlive scan --asr-window` on the recording; each
finished sentence is queued as an `utterance` event with `source: asr`, like any other event.
`final=true` ends the room's recording and flushes the sentence still open.

(No `from __future__ import annotations`: FastAPI reads the dependency annotations at run time.)
"""

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from clearlive.errors import InputError
from clearlive.model.events import CONTROL_CHARS, MAX_ID_CHARS, TimeWindow, Utterance, format_ts, parse_ts
from clearlive.service.keys import KeyInfo
from clearlive.service.limits import read_body
from clearlive.service.pipeline import QueueFull

MAX_CHUNK_BYTES = 8 << 20  # about 4 minutes of 16 kHz WAV; compressed chunks hold far more
MAX_LIVE_ROOMS = 32  # each open room holds up to one window of samples and a transcriber
DEFAULT_WINDOW_S = 15.0


@dataclass
class LiveRoom:
    stream: Any  # clearlive.audio.asr.StreamTranscriber
    t0_ms: int  # wall-clock time of second 0 of the room's audio
    utterances: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def audio_router(store: Any, submitter: Any, ingest_role: Callable[..., KeyInfo]) -> APIRouter:
    router = APIRouter(tags=["ingest"])
    rooms: dict[tuple[str, str], LiveRoom] = {}
    rooms_lock = threading.Lock()

    def room_state(key: tuple[str, str], lang: str | None, t0: str | None, window_s: float) -> LiveRoom:
        from clearlive.audio.asr import AsrOptions, StreamTranscriber
        from clearlive.audio.model import load_model

        with rooms_lock:
            room = rooms.get(key)
            if room is not None:
                return room
            if len(rooms) >= MAX_LIVE_ROOMS:
                raise HTTPException(503, f"{MAX_LIVE_ROOMS} rooms are being transcribed; end one with final=true")
            try:
                t0_ms = parse_ts(t0) if t0 is not None else int(time.time() * 1000)
            except ValueError as exc:
                raise HTTPException(422, f"t0: {exc}") from None
            problem = TimeWindow.from_env().problem(t0_ms, "t0")  # the utterances' times start here
            if problem:
                raise HTTPException(422, problem)
            opts = AsrOptions(lang=lang, window_s=window_s, overlap_s=window_s / 3)
            room = rooms[key] = LiveRoom(StreamTranscriber(load_model(), opts), t0_ms)
            return room

    def handle(
        body: bytes, room_id: str, info: KeyInfo, lang: str | None, t0: str | None, final: bool, window_s: float
    ):
        from clearlive.audio import require
        from clearlive.audio.decode import decode

        try:
            require()
        except InputError as exc:
            raise HTTPException(501, str(exc)) from None
        from clearlive.audio.asr import check_language

        try:
            check_language(lang)
        except InputError as exc:
            raise HTTPException(422, str(exc)) from None
        bad = next((c for c in room_id if c in CONTROL_CHARS), None)
        if bad is not None or len(room_id) > MAX_ID_CHARS:  # as an event's room_id is checked
            raise HTTPException(422, f"room_id: control character U+{ord(bad):04X}" if bad else "room_id too long")
        if store.claim_rooms(info.tenant, {room_id}):
            raise HTTPException(403, "room belongs to another tenant")
        try:
            audio = decode(body, name=f"audio chunk for room {room_id}")
        except InputError as exc:
            raise HTTPException(422, str(exc)) from None
        key = (info.tenant, room_id)
        room = room_state(key, lang, t0, window_s)
        with room.lock:  # chunks of one room are transcribed in order
            segments = room.stream.feed(audio.samples, final=final)
            events = []
            for seg in segments:
                room.utterances += 1
                events.append(
                    Utterance(
                        room_id=room_id,
                        ts=room.t0_ms + round(seg.start * 1000),
                        id=f"audio:{room_id}:{room.t0_ms}:{room.utterances}",
                        lang=seg.lang,
                        text=seg.text,
                        start=seg.start,
                        end=seg.end,
                        source="asr",
                        asr_model=room.stream.model.name,
                        avg_logprob=seg.avg_logprob,
                    )
                )
            heard_until = room.stream.heard_until
            if final:
                with rooms_lock:
                    rooms.pop(key, None)
        if events:
            try:
                submitter.submit(info.tenant, events)
            except QueueFull as exc:
                raise HTTPException(503, f"workers are behind ({exc}); retry", headers={"Retry-After": "1"}) from exc
        return {
            "chunk_s": round(audio.seconds, 3),
            "heard_until_s": round(heard_until, 3),
            "t0": format_ts(room.t0_ms),
            "problem": audio.problem,
            "accepted": len(events),
            "utterances": [
                {"id": e.id, "start": e.start, "end": e.end, "lang": e.lang, "text": e.text} for e in events
            ],
        }

    @router.post("/api/v1/rooms/{room_id}/audio", status_code=202)
    async def room_audio(
        room_id: str,
        request: Request,
        info: Annotated[KeyInfo, Depends(ingest_role)],
        lang: str | None = Query(default=None, description="the room's language: zh, zh-Hant, en or mixed"),
        t0: str | None = Query(default=None, description="RFC 3339 time of the first chunk's start (default: now)"),
        final: bool = Query(default=False, description="the recording ends with this chunk"),
        window_s: float = Query(default=DEFAULT_WINDOW_S, ge=8.0, le=30.0, description="transcription window"),
    ) -> dict[str, Any]:
        """One chunk of a room's audio, as a self-contained audio file, in order. Answers with the
        sentences it completed (queued as `utterance` events with `source: asr`)."""
        body = await read_body(request, MAX_CHUNK_BYTES)  # 413 once past the cap, never read whole
        if not body:
            raise HTTPException(422, "empty body: send one audio chunk as a file (WAV, Ogg, WebM, MP3, AAC, MP4)")
        if len(body) > MAX_CHUNK_BYTES:
            raise HTTPException(413, f"chunk larger than {MAX_CHUNK_BYTES} bytes; send smaller chunks")
        return await asyncio.to_thread(handle, body, room_id, info, lang, t0, final, window_s)

    return router
