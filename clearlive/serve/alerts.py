"""The alert streams (server-sent events) of the API (`/api/v1/alerts`) and of the dashboard's feed:
a tenant's findings after a seq, as they are stored.

The tenant's notifier (limits.AlertHub) says when there are new ones, so idle streams cost one
store query per poll per tenant, not one per stream; a key holds at most `hub.max_per_key` streams
open (429 beyond). A stream ends when the client leaves or when the server starts to stop (the
`stopping` event: uvicorn waits for every response to finish before it shuts down), after sending
what is stored by then; the browser reconnects to the next server with Last-Event-ID, losing nothing.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse

from clearlive.serve.limits import AlertHub
from clearlive.serve.store import ServiceStore

PAGE = 200  # findings read from the store at a time
KEEP_ALIVE_S = 15  # a comment line this often on a quiet stream, so that proxies do not close it
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class AlertStreams:
    def __init__(self, store: ServiceStore, hub: AlertHub, stopping: threading.Event | None) -> None:
        self.store = store
        self.hub = hub
        self.stopping = stopping

    def open(
        self, request: Request, tenant: str, start: int, render: Callable[[dict[str, Any]], str], key: str
    ) -> StreamingResponse:
        """Findings of `tenant` after seq `start`; `render(finding)` is each event's data."""
        hub = self.hub
        slot = hub.open_slot(key)

        async def stream() -> AsyncIterator[bytes]:
            try:
                yield b": connected\n\n"
                await hub.join(tenant)
                try:
                    async for chunk in self._findings_after(request, tenant, start, render):
                        yield chunk
                finally:
                    hub.leave(tenant)
            finally:
                hub.release(key, slot)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    async def _findings_after(
        self, request: Request, tenant: str, seen: int, render: Callable[[dict[str, Any]], str]
    ) -> AsyncIterator[bytes]:
        hub, store = self.hub, self.store
        latest = hub.tenants[tenant].latest
        loop = asyncio.get_running_loop()
        quiet_since = loop.time()
        while True:
            if latest > seen:
                rows = await asyncio.to_thread(store.findings, tenant, None, None, None, seen, PAGE)
                for f in rows:
                    seen = f["seq"]
                    yield sse_frame(seen, "finding", render(f))
                if rows:
                    quiet_since = loop.time()
                if len(rows) == PAGE:
                    continue  # more to send
                seen = max(seen, latest)
            if (self.stopping is not None and self.stopping.is_set()) or await request.is_disconnected():
                return
            latest = await hub.wait(tenant, seen, timeout=1.0)
            if loop.time() - quiet_since >= KEEP_ALIVE_S:
                quiet_since = loop.time()
                yield b": keep-alive\n\n"


def sse_frame(event_id: object, event: str, data: str) -> bytes:
    """One server-sent event. A CR or LF ends a line in the stream, so none may reach `id:` or
    `event:` (they are removed) and `data` is split into `data:` lines at each line break (the
    client joins them again): a room id with a CR in it cannot inject lines into the stream."""
    clean_id = _LINE_BREAK.sub("", str(event_id)).replace("\x00", "")
    clean_event = _LINE_BREAK.sub("", event)
    lines = "".join(f"data: {line}\n" for line in _LINE_BREAK.split(data))
    return f"id: {clean_id}\nevent: {clean_event}\n{lines}\n".encode()


def int_or_zero(value: str | None) -> int:
    try:
        return max(int(value or 0), 0)
    except ValueError:
        return 0
