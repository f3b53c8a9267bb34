"""The HTTP service (CONTRACT section 5): ingest, findings, the alert stream, reviews, evidence export,
ranking, and the reviewers' dashboard.

Every request is authenticated by an API key (`Authorization: Bearer KEY`) or by the dashboard's
session cookie (clearlive.service.sessions: a signed session id, never the key; state-changing
requests need its CSRF token) and sees only its tenant's rooms. Roles: `ingest` sends events,
`reviewer` decides on findings, `admin` also verifies the audit chain; every role can read its
tenant's findings.

(No `from __future__ import annotations` here: FastAPI reads the dependency annotations of the
endpoints defined inside create_app at run time, and they name local aliases.)
"""

import asyncio
import hashlib
import io
import json
import re
import tempfile
import zipfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Protocol
from urllib.parse import quote

import msgspec
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from clearlive.model.events import EventBase, EventReader
from clearlive.model.findings import SEVERITIES, SEVERITY_RANK
from clearlive.ranking import POLICIES, UNCERTAINTY, Candidate, rank
from clearlive.service import sessions
from clearlive.service.admin_api import admin_router
from clearlive.service.audio_api import audio_router
from clearlive.service.desk import mount_desk
from clearlive.service.keys import KeyInfo
from clearlive.service.limits import MAX_BODY_BYTES, AlertHub, read_body  # noqa: F401  (MAX_BODY_BYTES: re-exported)
from clearlive.service.pipeline import QueueFull
from clearlive.service.store import ServiceStore, now_ms
from clearlive.sources.adapters import SOURCES as ADAPTER_SOURCES
from clearlive.sources.adapters import adapt_recording
from clearlive.sources.rejects import field_of

MAX_EVENTS = 10_000  # per request
MAX_LINE_BYTES = 1 << 20
ID_CONFLICT = "conflict: this id was already given to another event, with other content"
LOW_DISK_BYTES = 64 << 20  # /health warns below this: a full request (10 MiB) takes a few times that to store


class Submitter(Protocol):
    """Where accepted events go: the embedded queue or Redis Streams (same interface)."""

    def submit(self, tenant: str, events: list[EventBase]) -> None: ...

    def lag(self) -> int: ...

    def waiting_for(self) -> list[str]:
        """What the submitter's own workers wait for (the embedded worker: the disk), for /health."""
        ...


class ReviewIn(BaseModel):
    decision: str = Field(description="confirm, dismiss or escalate")
    reason: str | None = Field(default=None, max_length=2000, description="required to dismiss")


class CandidateIn(BaseModel):
    room_id: str
    anchor_id: str
    predicted_engagement: float = Field(ge=0)
    score: float | None = Field(default=None, ge=0, le=100)
    interval: tuple[Annotated[float, Field(ge=0, le=100)], Annotated[float, Field(ge=0, le=100)]] | None = None
    credit: float | None = None
    recent_violations: int = Field(default=0, ge=0)


class RankIn(BaseModel):
    candidates: list[CandidateIn] = Field(max_length=10_000)
    policy: str = "blend"
    uncertainty: str = "ucb"
    seed: int = 0


def parse_events(body: bytes, lines: list[int] | None = None) -> tuple[list[EventBase], list[dict[str, Any]]]:
    """A JSON array or NDJSON body: the valid events and, for each bad one, where and why. `lines`
    gives the line each NDJSON line came from (a client's recording converted by an adapter: one
    message may give several events, or none)."""
    events, rejects = parse_numbered(body, lines)
    return [ev for _, ev in events], rejects


def parse_numbered(
    body: bytes, lines: list[int] | None = None
) -> tuple[list[tuple[int, EventBase]], list[dict[str, Any]]]:
    """parse_events, each event with its line (or array position)."""
    events: list[tuple[int, EventBase]] = []
    rejects: list[dict[str, Any]] = []
    stripped = body.lstrip()
    if stripped.startswith(b"["):
        try:
            items = msgspec.json.decode(stripped, type=list[msgspec.Raw])
        except msgspec.DecodeError as exc:
            return [], [{"line": 1, "field": None, "error": f"body is not a JSON array: {exc}"}]
        except RecursionError:
            return [], [{"line": 1, "field": None, "error": "body is not a JSON array: nested too deep"}]
        raws = [bytes(r) for r in items]
    else:
        raws = body.splitlines()
    reader = EventReader()
    for i, raw in enumerate(raws):
        n = lines[i] if lines is not None else i + 1
        if not raw.strip():
            continue
        if len(raw) > MAX_LINE_BYTES:
            rejects.append({"line": n, "field": None, "error": f"event longer than {MAX_LINE_BYTES} bytes"})
            continue
        try:
            ev = reader.decode(raw)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            rejects.append({"line": n, "field": field_of(str(exc)), "error": str(exc)})
            continue
        if ev.id is None:  # the same event sent twice gets the same id, so a retry adds nothing
            ev.id = "api:" + hashlib.sha256(_canonical(ev)).hexdigest()[:24]
        events.append((n, ev))
    return events, rejects


def create_app(
    store: ServiceStore, submitter: Submitter, status: dict[str, Any] | None = None, recordings: Path | None = None
) -> FastAPI:
    """`recordings`: where live rooms' audio is kept for playback at a finding's moment (None: not kept)."""
    app = FastAPI(
        title="ClearLive",
        version="1",
        description="Live-commerce integrity: ingest room events, read findings with evidence, review them.",
    )
    app.state.store = store
    app.state.submitter = submitter
    app.state.status = status if status is not None else {}

    def auth(request: Request, authorization: Annotated[str | None, Header()] = None) -> KeyInfo:
        info = None
        if authorization and authorization.lower().startswith("bearer "):
            info = store.key_info(authorization[7:].strip())
        elif (session := sessions.from_request(store.keys, request)) is not None:
            sessions.check_csrf(request, session)  # a cookie is sent by any page: prove it is ours
            info = session.info
        if info is None:
            raise HTTPException(401, "a valid API key is needed", headers={"WWW-Authenticate": "Bearer"})
        return info

    def role(*allowed: str):
        def check(info: Annotated[KeyInfo, Depends(auth)]) -> KeyInfo:
            if info.role not in allowed:
                raise HTTPException(403, f"this needs a key with role {' or '.join(allowed)}")
            return info

        return check

    Key = Annotated[KeyInfo, Depends(auth)]
    Reviewer = Annotated[KeyInfo, Depends(role("reviewer", "admin"))]

    @app.get("/api/v1/health", tags=["service"])
    def health() -> dict[str, Any]:
        """Whether the service can take events, and what it is waiting for if not."""
        waiting = []
        try:
            store.db.query("SELECT 1")
        except Exception as exc:  # any driver error means the same thing to an operator
            waiting.append(f"database ({store.db.kind}): {type(exc).__name__}")
        free = store.db.free_bytes()
        if free is not None and free < LOW_DISK_BYTES:
            waiting.append(f"the disk: {free // 1024} KiB free beside the embedded store")
        lag = None
        try:
            lag = submitter.lag()
        except Exception as exc:
            waiting.append(f"queue ({type(submitter).__name__}): {type(exc).__name__}")
        waiting += submitter.waiting_for()
        dead = [p.name for p in app.state.status.get("workers", []) if not p.is_alive()]
        waiting += [f"worker {name} stopped" for name in dead]
        letters: dict[str, int] = {}
        try:  # events the workers gave up on (clearlive.service.worker_core), until resolved
            letters = store.dead_letter_counts()
        except Exception as exc:
            waiting.append(f"database ({store.db.kind}): {type(exc).__name__}")
        return {
            "status": "ok" if not waiting and not letters else "degraded",
            "waiting_for": waiting,
            "queue_lag": lag,
            "dead_letters": {"total": sum(letters.values()), "by_stage": letters},
        }

    @app.post("/api/v1/events", status_code=202, tags=["ingest"])
    async def ingest(
        request: Request,
        info: Annotated[KeyInfo, Depends(role("ingest", "admin"))],
        source: str | None = Query(default=None, description="tiktok or douyin: the body is that client's messages"),
        room_id: str | None = Query(default=None, description="with `source`: the room the messages are from"),
    ) -> dict[str, Any]:
        """Events (CONTRACT section 2) as a JSON array or NDJSON, or with `source` a live client's
        messages as NDJSON (see clearlive.sources.adapters). Answers with how many were accepted and,
        for each rejected one, its line (or array position), field and reason."""
        body = await read_body(request)
        if source is not None and (source not in ADAPTER_SOURCES or not room_id):
            raise HTTPException(422, f"source must be one of {', '.join(ADAPTER_SOURCES)}, with room_id")
        # Converting, parsing, room ownership and the queue are blocking work: off the event loop,
        # so that the alert streams and other requests it also serves are not held up by a large one.
        answer = await asyncio.to_thread(accept, body, info, source, room_id)
        if answer["rejected"] and not answer["accepted"]:
            # nothing of the body was taken: not "accepted", the rejects say why (line and field)
            return JSONResponse(answer, status_code=422)  # type: ignore[return-value]  # FastAPI sends a Response as is
        return answer

    def accept(body: bytes, info: KeyInfo, source: str | None = None, room_id: str | None = None) -> dict[str, Any]:
        adapter_rejects: list[dict[str, Any]] = []
        left_out: list[dict[str, Any]] = []
        lines = None
        if source is not None:
            assert room_id is not None
            body, lines, adapter_rejects, left_out = adapt_body(body, room_id, source)
        numbered, rejects = parse_numbered(body, lines)
        rejects = adapter_rejects + rejects
        if len(numbered) + len(rejects) > MAX_EVENTS:
            raise HTTPException(413, f"more than {MAX_EVENTS} events in one request; split it")
        foreign = store.claim_rooms(info.tenant, {e.room_id for _, e in numbered})
        if foreign:
            for n, e in numbered:
                if e.room_id in foreign:
                    rejects.append({"line": n, "field": "room_id", "error": "room belongs to another tenant"})
            numbered = [(n, e) for n, e in numbered if e.room_id not in foreign]
        # An id the tenant already gave an event with other content: a conflict, never dropped unsaid
        # (the same content again is a retry, accepted and stored once).
        conflicts = store.id_conflicts(info.tenant, numbered)
        if conflicts:
            for n, _ in conflicts:
                rejects.append({"line": n, "field": "id", "error": ID_CONFLICT})
            dropped = {id(e) for _, e in conflicts}
            numbered = [(n, e) for n, e in numbered if id(e) not in dropped]
        events = [e for _, e in numbered]
        if events:
            try:
                submitter.submit(info.tenant, events)
            except QueueFull as exc:
                raise HTTPException(503, f"workers are behind ({exc}); retry", headers={"Retry-After": "1"}) from exc
        rejects.sort(key=lambda r: r["line"])
        answer: dict[str, Any] = {"accepted": len(events), "rejected": len(rejects), "rejects": rejects[:100]}
        if left_out:  # optional fields that could not be read: the messages were kept without them
            answer["left_out"] = left_out[:100]
        return answer

    # A tenant admin's keys and dead letters (clearlive/service/admin_api.py).
    app.include_router(admin_router(store, role("admin")))

    # Live audio chunks or a stream URL -> utterances (clearlive/service/audio_api.py, issue 23).
    app.include_router(
        audio_router(store, submitter, role("ingest", "admin"), role("reviewer", "admin"), recordings)
    )

    @app.get("/api/v1/findings", tags=["findings"])
    def findings(
        info: Key,
        room_id: str | None = None,
        status: str | None = Query(default=None, description="open, confirmed, dismissed or escalated"),
        min_severity: str | None = Query(default=None, description=", ".join(SEVERITIES)),
        after: int = Query(default=0, ge=0, description="only findings with a larger seq"),
        limit: int = Query(default=500, ge=1, le=5000),
    ) -> list[dict[str, Any]]:
        """Findings (CONTRACT section 3 shape, plus `seq` and `status`) of the key's tenant."""
        if min_severity is not None and min_severity not in SEVERITY_RANK:
            raise HTTPException(422, f"min_severity must be one of {', '.join(SEVERITIES)}")
        rank_ = SEVERITY_RANK[min_severity] if min_severity else None
        return store.findings(info.tenant, room_id, status, rank_, after, limit)

    @app.get("/api/v1/findings/{finding_id}", tags=["findings"])
    def finding(finding_id: str, info: Key) -> dict[str, Any]:
        found = store.finding(info.tenant, finding_id)
        if found is None:
            raise HTTPException(404, "no such finding")
        return found

    @app.post("/api/v1/findings/{finding_id}/review", tags=["review"])
    def review(finding_id: str, body: ReviewIn, info: Reviewer) -> dict[str, Any]:
        """Confirm, dismiss (with a reason) or escalate; recorded in the hash-chained audit log."""
        try:
            return store.review(info.tenant, finding_id, body.decision, body.reason, info.prefix)
        except KeyError as exc:
            raise HTTPException(404, "no such finding") from exc
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc

    @app.get("/api/v1/alerts", tags=["findings"])
    async def alerts(
        request: Request,
        info: Key,
        last_event_id: Annotated[str | None, Header()] = None,
        after: int | None = Query(default=None, ge=0, description="resume after this seq (as Last-Event-ID)"),
    ) -> StreamingResponse:
        """Server-sent events: one `finding` event per new finding, `id` = its seq; `Last-Event-ID`
        (or `after`) resumes after a disconnect without losing or repeating any."""
        start = after if after is not None else _int_or_zero(last_event_id)
        return alert_stream(request, info.tenant, start, lambda f: json.dumps(f, ensure_ascii=False), info.prefix)

    hub = AlertHub(store.latest_finding_seq)
    app.state.alert_hub = hub
    if hasattr(submitter, "on_findings"):  # the embedded worker, in this process: wakes the streams at once
        submitter.on_findings = hub.nudge
    if hasattr(submitter, "listen_findings"):  # Redis workers say so by pub/sub
        submitter.listen_findings(hub.nudge)

    def alert_stream(request: Request, tenant: str, start: int, render: Any, key: str) -> StreamingResponse:
        """Findings of `tenant` after seq `start`, as they are stored: `render(finding)` is the data.
        The tenant's notifier (limits.AlertHub) says when there are new ones; `key` may hold at
        most `hub.max_per_key` streams open (429 beyond)."""

        stopping = app.state.status.get("stopping")
        slot = hub.open_slot(key)

        async def stream() -> AsyncIterator[bytes]:
            try:
                yield b": connected\n\n"
                await hub.join(tenant)
                try:
                    async for chunk in findings_after(tenant, start, render, stopping):
                        yield chunk
                finally:
                    hub.leave(tenant)
            finally:
                hub.release(key, slot)

        async def findings_after(tenant: str, seen: int, render: Any, stopping: Any) -> AsyncIterator[bytes]:
            latest = hub.tenants[tenant].latest
            quiet_since = asyncio.get_running_loop().time()
            # The stream ends when the server starts to stop: uvicorn waits for every response to
            # finish before it shuts down, and an open alert stream otherwise never does (the
            # browser reconnects to the next server with Last-Event-ID, losing nothing).
            while not await request.is_disconnected() and not (stopping is not None and stopping.is_set()):
                if latest > seen:
                    rows = await asyncio.to_thread(store.findings, tenant, None, None, None, seen, 200)
                    for f in rows:
                        seen = f["seq"]
                        yield sse_frame(seen, "finding", render(f))
                    if rows:
                        quiet_since = asyncio.get_running_loop().time()
                    if len(rows) == 200:
                        continue  # more to send
                    seen = max(seen, latest)
                if app.state.status.get("stream_once"):
                    return
                latest = await hub.wait(tenant, seen, timeout=1.0)
                if asyncio.get_running_loop().time() - quiet_since >= 15:
                    quiet_since = asyncio.get_running_loop().time()
                    yield b": keep-alive\n\n"  # now and then, so that proxies do not close the stream

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    app.state.alert_stream = alert_stream

    @app.get("/api/v1/rooms", tags=["findings"])
    def rooms(info: Key) -> list[dict[str, Any]]:
        return store.rooms(info.tenant)

    @app.get("/api/v1/evidence.zip", tags=["review"])
    async def evidence_by_query(
        info: Reviewer, room_id: str = Query(description="the room, any characters (URL-encoded)")
    ) -> StreamingResponse:
        """The evidence export of a room named in the query: for room ids with `/` or `?` in them,
        which a path segment cannot carry through every proxy."""
        return await evidence_response(room_id, info)

    @app.get("/api/v1/rooms/{room_id:path}/evidence.zip", tags=["review"])
    async def evidence(room_id: str, info: Reviewer) -> StreamingResponse:
        """Everything a regulator needs about a room's findings, with a SHA-256 manifest. The room id
        is percent-encoded in the path (a `/` as %2F) or given as `?room_id=` to /api/v1/evidence.zip."""
        return await evidence_response(room_id, info)

    async def evidence_response(room_id: str, info: KeyInfo) -> StreamingResponse:
        if await asyncio.to_thread(store.tenant_of_room, room_id) != info.tenant:
            raise HTTPException(404, "no such room")
        # Written to a temporary file (memory up to a few MB, then disk) page by page, however many
        # findings and events the room has; the export is audited only once it is complete.
        spool, manifest = await asyncio.to_thread(evidence_zip_file, store, info.tenant, room_id)
        size = spool.tell()
        detail = {"bytes": size, "findings": manifest["findings"], "events": manifest["events"]}
        try:
            await asyncio.to_thread(store.audit, info.tenant, info.prefix, "evidence.export", room_id, detail)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)

        async def body() -> AsyncIterator[bytes]:
            try:
                while chunk := await asyncio.to_thread(spool.read, 1 << 16):
                    yield chunk
            finally:
                spool.close()

        headers = {"Content-Disposition": content_disposition(f"{room_id}-evidence.zip"), "Content-Length": str(size)}
        return StreamingResponse(body(), media_type="application/zip", headers=headers)

    @app.get("/api/v1/labels", tags=["review"])
    def labels(info: Reviewer) -> Response:
        """Reviewers' decisions as a labeled set (JSON Lines): confirmed findings as positives,
        dismissed ones as hard negatives with the reason; `clearlive eval --data` and
        `clearlive train claims --data` read it as it is."""
        rows = store.labels(info.tenant)
        body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        return Response(body, media_type="application/x-ndjson")

    @app.get("/api/v1/audit/verify", tags=["service"])
    def audit_verify(info: Annotated[KeyInfo, Depends(role("admin"))]) -> dict[str, Any]:
        """The admin's tenant's entries of the audit chain: each one's hash, and its links to the
        entries before and after it (`clearlive audit verify` checks the whole chain)."""
        ok, checked, problem = store.verify_audit(info.tenant)
        return {"intact": ok, "entries": checked, "problem": problem or None}

    @app.post("/api/v1/rank", tags=["ranking"])
    def rank_rooms(body: RankIn, info: Key) -> list[dict[str, Any]]:
        """Rank candidate rooms under a policy (clearlive.ranking; docs/simulation.md)."""
        if body.policy not in POLICIES or body.uncertainty not in UNCERTAINTY:
            raise HTTPException(422, f"policy: {', '.join(POLICIES)}; uncertainty: {', '.join(UNCERTAINTY)}")
        cands = [Candidate(**c.model_dump()) for c in body.candidates]
        return [asdict(r) for r in rank(cands, body.policy, body.uncertainty, seed=body.seed)]

    _unavailable_as_503(app)
    _unstorable_as_422(app)
    app.add_middleware(RefuseNulInUrl)
    mount_desk(app, store)
    return app


def _unavailable_as_503(app: FastAPI) -> None:
    """A backing service that is down is not the client's fault nor a bug: 503 with what the
    service is waiting for and when to retry; nothing was accepted, so a retry loses nothing."""
    import duckdb

    waits: list[tuple[type[BaseException], str]] = [
        (duckdb.IOException, "the embedded store (disk full or unwritable?)"),
        (OSError, "the disk"),  # StoreUnwritable: DuckDB could not write for lack of space
    ]
    try:
        import redis

        waits.append((redis.RedisError, "Redis"))
    except ImportError:
        pass
    try:
        import psycopg

        waits.append((psycopg.OperationalError, "PostgreSQL"))
    except ImportError:
        pass
    for exc_type, name in waits:

        def handler(request: Request, exc: BaseException, name: str = name) -> JSONResponse:
            return JSONResponse(
                {"detail": f"waiting for {name}: {type(exc).__name__}; retry"},
                status_code=503,
                headers={"Retry-After": "2"},
            )

        app.add_exception_handler(exc_type, handler)  # type: ignore[arg-type]


class RefuseNulInUrl:
    """A U+0000 in a path or a query parameter is refused (422) before any route sees it: no id or
    filter holds one, and PostgreSQL could not compare against it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")):
            response = JSONResponse({"detail": "NUL character (U+0000) not allowed in the URL"}, status_code=422)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _unstorable_as_422(app: FastAPI) -> None:
    """A value the database refuses as data (psycopg's DataError: a NUL in text, say) is the
    client's to fix, not a server error."""
    try:
        import psycopg
    except ImportError:
        return

    def handler(request: Request, exc: BaseException) -> JSONResponse:
        return JSONResponse({"detail": f"a value the database cannot store: {exc}"}, status_code=422)

    app.add_exception_handler(psycopg.DataError, handler)


def adapt_body(
    body: bytes, room_id: str, source: str
) -> tuple[bytes, list[int], list[dict[str, Any]], list[dict[str, Any]]]:
    """A client's recorded messages as ClearLive NDJSON, the recording's line each NDJSON line came
    from, the messages that could not be read, and the optional fields left out of those that were."""
    out: list[bytes] = []
    lines: list[int] = []
    rejects, left_out = [], []
    for line, events in adapt_recording(body.splitlines(), room_id, source):
        left_out += [{"line": line.n, "field": n.field, "error": n.message} for n in line.notes]
        if events is None:
            rejects.append({"line": line.n, "field": line.field, "error": line.error})
            continue
        out.extend(json.dumps(ev, ensure_ascii=False).encode() for ev in events)
        lines.extend(line.n for _ in events)
    return b"\n".join(out), lines, rejects, left_out


def _canonical(ev: EventBase) -> bytes:
    """The event's content however it was written (spacing, escapes, key order, RFC 3339 or epoch)."""
    return msgspec.json.encode(msgspec.to_builtins(ev), order="sorted")


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def sse_frame(event_id: object, event: str, data: str) -> bytes:
    """One server-sent event. A CR or LF ends a line in the stream, so none may reach `id:` or
    `event:` (they are removed) and `data` is split into `data:` lines at each line break (the
    client joins them again): a room id with a CR in it cannot inject lines into the stream."""
    clean_id = _LINE_BREAK.sub("", str(event_id)).replace("\x00", "")
    clean_event = _LINE_BREAK.sub("", event)
    lines = "".join(f"data: {line}\n" for line in _LINE_BREAK.split(data))
    return f"id: {clean_id}\nevent: {clean_event}\n{lines}\n".encode()


def _int_or_zero(value: str | None) -> int:
    try:
        return max(int(value or 0), 0)
    except ValueError:
        return 0


EXPORT_PAGE = 5000  # findings or events read from the store at a time for an export


def content_disposition(filename: str) -> str:
    """An attachment header for any file name (RFC 6266): `filename` an ASCII fallback with anything
    but letters, digits, `.`, `-` and `_` replaced by `_` (no quote, backslash, CR or LF can get
    into the header), and `filename*` the name itself, UTF-8 and percent-encoded (RFC 8187)."""
    fallback = "".join(c if (c.isascii() and (c.isalnum() or c in "._-")) else "_" for c in filename)
    fallback = fallback.lstrip(".") or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def evidence_zip_file(store: ServiceStore, tenant: str, room_id: str) -> tuple[Any, dict[str, Any]]:
    """The room's evidence zip in a temporary file (left at its end) and its manifest: every
    finding and event of the room, read page by page (no cap), each file's SHA-256, byte and row
    counts."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)
    files: dict[str, dict[str, Any]] = {}
    try:
        with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as zf:

            def member(name: str, pages: Iterator[list[bytes]]) -> int:
                digest, size, rows = hashlib.sha256(), 0, 0
                with zf.open(name, "w", force_zip64=True) as out:
                    for page in pages:
                        for chunk in page:
                            out.write(chunk)
                            digest.update(chunk)
                            size += len(chunk)
                        rows += len(page)
                files[name] = {"sha256": digest.hexdigest(), "bytes": size}
                return rows

            until = store.latest_finding_seq(tenant)  # both passes hold the same findings, those stored by now

            def finding_pages() -> Iterator[list[dict[str, Any]]]:
                after = 0
                while page := store.findings(tenant, room_id=room_id, after_seq=after, limit=EXPORT_PAGE):
                    page = [f for f in page if f["seq"] <= until]
                    if not page:
                        return
                    yield page
                    after = page[-1]["seq"]

            n_findings = member(
                "findings.jsonl",
                ([json.dumps(f, ensure_ascii=False).encode() + b"\n" for f in page] for page in finding_pages()),
            )
            member("evidence.csv", _csv_pages(finding_pages()))
            n_events = member(
                "events.jsonl",
                (
                    [json.dumps(e, ensure_ascii=False).encode() + b"\n" for e in page]
                    for page in store.room_event_pages(tenant, room_id, EXPORT_PAGE)
                ),
            )
            manifest = {
                "room_id": room_id,
                "tenant": tenant,
                "exported_ms": now_ms(),
                "findings": n_findings,  # every finding of the room: the export has no cap
                "events": n_events,
                "files": files,
            }
            zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode())
    except BaseException:
        spool.close()
        raise
    return spool, manifest


def _csv_pages(pages: Iterator[list[dict[str, Any]]]) -> Iterator[list[bytes]]:
    """evidence.csv a page of findings at a time (a byte-order mark first, for spreadsheets)."""
    first = True
    for page in pages:
        data = _evidence_csv(page, header=first)
        yield [data if first else data.removeprefix(b"\xef\xbb\xbf")]
        first = False
    if first:  # no findings: the header alone
        yield [_evidence_csv([], header=True)]


def _evidence_csv(findings: list[dict[str, Any]], header: bool = True) -> bytes:
    import csv

    out = io.StringIO()
    w = csv.writer(out)
    if header:
        w.writerow(
            ["finding_id", "time", "room_id", "rule_id", "severity", "status", "quote", "start", "end", "legal_basis"]
        )
    for f in findings:
        ev = f["evidence"]
        basis = "; ".join(f"{b['id']} {b['citation']}" for b in f.get("legal_basis", []))
        w.writerow(
            [
                f["id"],
                f["ts"],
                f["room_id"],
                f["rule_id"],
                f["severity"],
                f["status"],
                ev["text"],
                ev["start"],
                ev["end"],
                basis,
            ]
        )
    return out.getvalue().encode("utf-8-sig")  # with a BOM, so spreadsheet programs read the Chinese right
