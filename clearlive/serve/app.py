"""The HTTP service (CONTRACT section 5): the app made of its routers.

- `api` (clearlive.serve.api): health, ingest, findings, review, the alert stream, ranking;
- `admin` (admin_api): a tenant admin's keys and dead letters; `audio` (audio_api): live audio;
- `evidence` (evidence): a room's evidence export and the reviewers' labels;
- `dashboard` (desk): the reviewers' pages, in Chinese or English.

Who may call what is declared by FastAPI dependencies (clearlive.serve.deps): an API key
(`Authorization: Bearer KEY`) or the dashboard's session cookie (a signed session id, never the key;
state-changing requests need its CSRF token), and the key's role: `ingest` sends events, `reviewer`
decides on findings, `admin` also manages keys and verifies the audit chain; every role reads its
tenant's findings, and no one sees another tenant's rooms. Running it (uvicorn, worker processes,
signals) is clearlive.serve.runtime's job.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse

from clearlive.serve import api, desk, evidence
from clearlive.serve.admin_api import admin_router
from clearlive.serve.alerts import AlertStreams
from clearlive.serve.audio_api import audio_router
from clearlive.serve.deps import LoginFirst, admin_role, ingest_role, reviewer_role
from clearlive.serve.ingest import Submitter
from clearlive.serve.limits import AlertHub
from clearlive.serve.store import ServiceStore


def create_app(
    store: ServiceStore, submitter: Submitter, status: dict[str, Any] | None = None, recordings: Path | None = None
) -> FastAPI:
    """The service over `store`, its events going to `submitter`. `status`: what the process running
    it shares: `workers` (processes, for /health), `redis_url`, `stopping` (a threading.Event set
    when the server starts to stop: the alert streams end). `recordings`: where live rooms' audio is
    kept for playback at a finding's moment (None: not kept)."""
    app = FastAPI(
        title="ClearLive",
        version="1",
        description="Live-commerce integrity: ingest room events, read findings with evidence, review them.",
    )
    app.state.store = store
    app.state.submitter = submitter
    app.state.status = status if status is not None else {}
    hub = AlertHub(store.latest_finding_seq)
    app.state.alert_hub = hub
    if hasattr(submitter, "on_findings"):  # the embedded worker, in this process: wakes the streams at once
        submitter.on_findings = hub.nudge
    if hasattr(submitter, "listen_findings"):  # Redis workers say so by pub/sub
        submitter.listen_findings(hub.nudge)
    stopping: threading.Event | None = app.state.status.get("stopping")
    app.state.alert_stream = AlertStreams(store, hub, stopping).open

    app.include_router(api.router)
    app.include_router(admin_router(store, admin_role))
    app.include_router(audio_router(store, submitter, ingest_role, reviewer_role, recordings))
    app.include_router(evidence.router)
    desk.mount_desk(app)

    app.add_exception_handler(LoginFirst, _to_login)  # type: ignore[arg-type]
    _unavailable_as_503(app)
    _unstorable_as_422(app)
    app.add_middleware(RefuseNulInUrl)
    return app


def _to_login(request: Request, exc: LoginFirst) -> RedirectResponse:
    """A dashboard page asked for without a session (clearlive.serve.deps.Viewer)."""
    return RedirectResponse("/login", status_code=303)


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
