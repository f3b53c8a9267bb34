"""`POST /api/v1/rooms/{room_id}/audio`: a live room's audio, chunk by chunk, becomes host utterances.

Each request carries one chunk as a self-contained audio file (WAV, Ogg/Opus, WebM, MP3, AAC,
MP4 ... anything PyAV decodes), in order. The room's chunks feed one StreamTranscriber, so the
windows, seams and sentences are those of `clearlive scan --asr-window` on the recording; each
finished sentence is queued as an `utterance` event with `source: asr`, like any other event.
`final=true` ends the room's recording and flushes the sentence still open.

`POST /api/v1/rooms/{room_id}/stream` names a stream URL (HLS or HTTP-FLV) instead: a thread of
the service reads it as it arrives into the same transcriber (GET: how far it got; DELETE: stop).
`GET /api/v1/rooms/{room_id}/recordings/{t0}.wav` plays back what a room's live audio was, for the
dashboard's audio element at a finding's moment.

(No `from __future__ import annotations`: FastAPI reads the dependency annotations at run time.)
"""

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse

from clearlive.errors import InputError
from clearlive.model.events import CONTROL_CHARS, MAX_ID_CHARS, TimeWindow, Utterance, format_ts, parse_ts
from clearlive.serve.audio_rooms import Follower, LiveRoom, check_stream_url, follow, recording_path
from clearlive.serve.embedded import QueueFull
from clearlive.serve.keys import KeyInfo
from clearlive.serve.limits import read_body

MAX_CHUNK_BYTES = 8 << 20  # about 4 minutes of 16 kHz WAV; compressed chunks hold far more
MAX_LIVE_ROOMS = 32  # each open room holds up to one window of samples and a transcriber
DEFAULT_WINDOW_S = 15.0


class StreamRequest(msgspec.Struct, forbid_unknown_fields=True):
    url: str
    lang: str | None = None
    t0: str | None = None
    window_s: float = DEFAULT_WINDOW_S


def audio_router(
    store: Any,
    submitter: Any,
    ingest_role: Callable[..., KeyInfo],
    reader_role: Callable[..., KeyInfo],
    recordings: Path | None = None,
) -> APIRouter:
    """`recordings`: the folder for each live room's WAV copy (None: none kept, nothing to play)."""
    router = APIRouter(tags=["ingest"])
    rooms: dict[tuple[str, str], LiveRoom] = {}
    followers: dict[tuple[str, str], Follower] = {}
    rooms_lock = threading.Lock()

    def room_state(key: tuple[str, str], lang: str | None, t0: str | None, window_s: float) -> LiveRoom:
        from clearlive.watch.audio.asr import AsrOptions, StreamTranscriber
        from clearlive.watch.audio.model import load_model

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
            copy = recording_path(recordings, key[0], key[1], t0_ms) if recordings is not None else None
            room = rooms[key] = LiveRoom(StreamTranscriber(load_model(), opts), t0_ms, copy)
            return room

    def check_room(room_id: str, info: KeyInfo, lang: str | None) -> None:
        """What a room's audio must pass before any of it is read (shared by chunks and streams)."""
        from clearlive.watch.audio import require

        try:
            require()
        except InputError as exc:
            raise HTTPException(501, str(exc)) from None
        from clearlive.watch.audio.asr import check_language

        try:
            check_language(lang)
        except InputError as exc:
            raise HTTPException(422, str(exc)) from None
        bad = next((c for c in room_id if c in CONTROL_CHARS), None)
        if bad is not None or len(room_id) > MAX_ID_CHARS:  # as an event's room_id is checked
            raise HTTPException(422, f"room_id: control character U+{ord(bad):04X}" if bad else "room_id too long")
        if store.claim_rooms(info.tenant, {room_id}):
            raise HTTPException(403, "room belongs to another tenant")

    def handle(
        body: bytes, room_id: str, info: KeyInfo, lang: str | None, t0: str | None, final: bool, window_s: float
    ):
        from clearlive.watch.audio.decode import decode

        check_room(room_id, info, lang)
        key = (info.tenant, room_id)
        if key in followers and not followers[key].done:
            raise HTTPException(409, f"room {room_id} is following {followers[key].url}; DELETE its stream first")
        try:
            audio = decode(body, name=f"audio chunk for room {room_id}")
        except InputError as exc:
            raise HTTPException(422, str(exc)) from None
        room = room_state(key, lang, t0, window_s)
        with room.lock:  # chunks of one room are transcribed in order
            events: list[Utterance] = room.hear(room_id, audio.samples, final)
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

    def submit_until_taken(tenant: str, events: list[Utterance], follower: Follower) -> None:
        """A follower cannot answer 503: it waits for the workers (the stream keeps buffering)."""
        while True:
            try:
                submitter.submit(tenant, events)
                return
            except QueueFull:
                if follower.stop.wait(1.0):
                    return

    def start_following(room_id: str, info: KeyInfo, req: StreamRequest) -> dict[str, Any]:
        check_room(room_id, info, req.lang)
        if not 8.0 <= req.window_s <= 30.0:
            raise HTTPException(422, "window_s: between 8 and 30 seconds")
        try:
            check_stream_url(req.url)
        except InputError as exc:
            raise HTTPException(422, str(exc)) from None
        key = (info.tenant, room_id)
        with rooms_lock:
            running = followers.get(key)
            if running is not None and not running.done:
                raise HTTPException(409, f"room {room_id} is already following {running.url}")
            if key in rooms:
                raise HTTPException(409, f"room {room_id} is receiving audio chunks; send final=true first")
        room = room_state(key, req.lang, req.t0, req.window_s)
        follower = followers[key] = Follower(req.url)

        def ended() -> None:
            with rooms_lock:
                rooms.pop(key, None)

        follower.thread = threading.Thread(
            target=follow,
            args=(follower, room_id, room, lambda evs: submit_until_taken(info.tenant, evs, follower), ended),
            name=f"clearlive-stream-{room_id}",
            daemon=True,
        )
        follower.thread.start()
        return {"room_id": room_id, "t0": format_ts(room.t0_ms), **follower.status()}

    @router.post("/api/v1/rooms/{room_id}/stream", status_code=202)
    async def room_stream(
        room_id: str, request: Request, info: Annotated[KeyInfo, Depends(ingest_role)]
    ) -> dict[str, Any]:
        """Follow a live room's stream URL (an HLS playlist or HTTP-FLV, http or https): the service
        reads it as it arrives, in the same windows as posted chunks, until it ends or is stopped.
        Body: `{"url": ..., "lang": ..., "t0": ..., "window_s": 15}`. Hosts inside this network are
        refused unless listed in CLEARLIVE_STREAM_HOSTS."""
        body = await read_body(request, 64 << 10)
        try:
            req = msgspec.json.decode(body, type=StreamRequest)
        except msgspec.DecodeError as exc:
            raise HTTPException(422, f"body: {exc}") from None
        return await asyncio.to_thread(start_following, room_id, info, req)

    @router.get("/api/v1/rooms/{room_id}/stream")
    def room_stream_status(room_id: str, info: Annotated[KeyInfo, Depends(ingest_role)]) -> dict[str, Any]:
        """How far the room's stream has been heard, and why it stopped if it did."""
        follower = followers.get((info.tenant, room_id))
        if follower is None:
            raise HTTPException(404, f"room {room_id} follows no stream")
        return {"room_id": room_id, **follower.status()}

    @router.delete("/api/v1/rooms/{room_id}/stream")
    def room_stream_stop(room_id: str, info: Annotated[KeyInfo, Depends(ingest_role)]) -> dict[str, Any]:
        """Stop following: the sentence still open is transcribed and queued, then the thread ends."""
        follower = followers.get((info.tenant, room_id))
        if follower is None:
            raise HTTPException(404, f"room {room_id} follows no stream")
        follower.stop.set()
        if follower.thread is not None:
            follower.thread.join(timeout=60)
        return {"room_id": room_id, **follower.status()}

    @router.get("/api/v1/rooms/{room_id}/recordings/{t0_ms}.wav", tags=["read"])
    def room_recording(room_id: str, t0_ms: str, info: Annotated[KeyInfo, Depends(reader_role)]) -> FileResponse:
        """The room's live audio as the service heard it (16 kHz mono WAV), growing while the room
        is live: the dashboard plays a finding's moment from it with a #t= time fragment."""
        if not t0_ms.isdigit():  # a recording's name is its t0 in epoch milliseconds, nothing else
            raise HTTPException(404, "no such recording")
        path = recording_path(recordings, info.tenant, room_id, int(t0_ms)) if recordings is not None else None
        if path is None or not path.is_file():
            raise HTTPException(404, "no recording of that room's audio is kept")
        return FileResponse(path, media_type="audio/wav")

    return router
