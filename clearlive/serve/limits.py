"""Limits the service enforces before it does the work: request bodies read with a byte cap, and the
alert streams served by one notifier per tenant, with a cap on the streams one key may hold open.

- **Bodies.** `read_body` reads a request as it arrives and answers 413 as soon as it passes the cap
  (or at once when its Content-Length says so): a 400 MB body is never held in memory.
- **Alert streams.** Each open stream used to ask the database for new findings every 50 ms (60
  idle streams took a whole core). Now `AlertHub` keeps one notifier per tenant with streams open:
  it alone watches the tenant's latest finding (one indexed query per poll, however many streams)
  and wakes the tenant's streams when it moves; a stream then reads only its own new rows. A
  writer in the same process (the embedded worker) wakes it at once (`nudge`); Redis workers do
  the same through pub/sub (`RedisSubmitter.listen_findings`). The poll is the fallback.
- **Streams per key.** At most `max_per_key` streams open at once per API key (429 beyond).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable

from fastapi import HTTPException, Request

MAX_BODY_BYTES = 10 << 20  # 10 MiB per request
MAX_STREAMS_PER_KEY = 16  # open alert streams one API key may hold
HUB_POLL_S = 0.25  # how often a tenant's notifier looks for new findings written by other processes


async def read_body(request: Request, cap: int = MAX_BODY_BYTES) -> bytes:
    """The request body, read as it arrives and refused (413) as soon as it passes `cap` bytes: a
    larger body (chunked, or with a Content-Length that says so) is never held in memory."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > cap:
        raise HTTPException(413, f"body larger than {cap} bytes; split it")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise HTTPException(413, f"body larger than {cap} bytes; split it")
        chunks.append(chunk)
    return b"".join(chunks)


class StreamSlot:
    """One open stream's place in its key's count; the count forgets it when it is released or
    garbage (a response dropped before its body started)."""


class _Tenant:
    def __init__(self) -> None:
        self.latest = 0  # the tenant's largest finding seq seen by the notifier
        self.changed = asyncio.Condition()
        self.listeners = 0
        self.task: asyncio.Task[None] | None = None
        self.nudged = asyncio.Event()
        self.ready = asyncio.Event()  # set once the notifier has looked the first time


class AlertHub:
    """One notifier per tenant with open streams (see the module docstring). `latest(tenant)`
    returns the tenant's largest finding seq (a blocking call, run in a thread)."""

    def __init__(
        self,
        latest: Callable[[str], int],
        poll_s: float = HUB_POLL_S,
        max_per_key: int = MAX_STREAMS_PER_KEY,
    ) -> None:
        self._latest = latest
        self.poll_s = poll_s
        self.max_per_key = max_per_key
        self.tenants: dict[str, _Tenant] = {}
        self.polls = 0  # store queries made by the notifiers (tests, /health)
        self._slots: dict[str, weakref.WeakSet[StreamSlot]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- streams per key ---------------------------------------------------------------------
    def open_slot(self, key: str) -> StreamSlot:
        """A place for one more stream of `key`, or 429 when it has `max_per_key` open."""
        slots = self._slots.setdefault(key, weakref.WeakSet())
        if len(slots) >= self.max_per_key:
            detail = f"{self.max_per_key} alert streams already open with this key; close one"
            raise HTTPException(429, detail, headers={"Retry-After": "5"})
        slot = StreamSlot()
        slots.add(slot)
        return slot

    def release(self, key: str, slot: StreamSlot) -> None:
        self._slots.get(key, weakref.WeakSet()).discard(slot)

    def open_streams(self, key: str) -> int:
        return len(self._slots.get(key, ()))

    # -- notifiers ---------------------------------------------------------------------------
    def nudge(self, tenant: str) -> None:
        """A writer stored findings of `tenant` (any thread): its notifier looks now, not at its next poll."""
        loop, state = self._loop, self.tenants.get(tenant)
        if loop is None or state is None:
            return
        try:
            loop.call_soon_threadsafe(state.nudged.set)
        except RuntimeError:  # the loop is closed: nobody is listening
            pass

    async def wait(self, tenant: str, seen: int, timeout: float) -> int:
        """Wait until the tenant has a finding after `seen` (or `timeout` seconds); its latest seq."""
        state = self.tenants[tenant]
        async with state.changed:
            if state.latest <= seen:
                try:
                    await asyncio.wait_for(state.changed.wait_for(lambda: state.latest > seen), timeout)
                except TimeoutError:
                    pass
            return state.latest

    async def join(self, tenant: str) -> None:
        self._loop = asyncio.get_running_loop()
        state = self.tenants.get(tenant)
        if state is None:
            state = self.tenants[tenant] = _Tenant()
        state.listeners += 1
        if state.task is None or state.task.done():  # the tenant's one notifier (set before any await)
            state.ready.clear()
            state.task = asyncio.create_task(self._watch(tenant, state))
        await state.ready.wait()  # its first look: the tenant's latest seq is known

    def leave(self, tenant: str) -> None:
        state = self.tenants.get(tenant)
        if state is None:
            return
        state.listeners -= 1
        if state.listeners <= 0:
            if state.task is not None:
                state.task.cancel()
            self.tenants.pop(tenant, None)

    def _poll(self, tenant: str) -> int:
        self.polls += 1
        return self._latest(tenant)

    async def _watch(self, tenant: str, state: _Tenant) -> None:
        first = True
        while True:
            if not first:
                try:
                    await asyncio.wait_for(state.nudged.wait(), self.poll_s)
                except TimeoutError:
                    pass
            state.nudged.clear()
            try:
                latest = await asyncio.to_thread(self._poll, tenant)
            except Exception:  # the store is down: the streams wait; /health says what for
                await asyncio.sleep(self.poll_s)
                continue
            if latest > state.latest:
                async with state.changed:
                    state.latest = latest
                    state.changed.notify_all()
            if first:
                first = False
                state.ready.set()
