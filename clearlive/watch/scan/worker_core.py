"""The worker core under every runtime: the embedded queue, the Redis Streams workers and Spark.

A transport (`EmbeddedPipeline`, `ShardWorker`, the Spark operators) only moves events: it reads a
batch, hands it to `WorkerCore.process`, and saves its checkpoint where it keeps them (a file,
Redis, Spark's state store). The core does the rest, the same way everywhere:

1. stores the batch's events as they were received (unless the transport did so already: the
   embedded pipeline stores them before it answers 202), before the scanner fills in a chat line's
   session and host from its room;
2. runs them through the tenant's scanner, one at a time;
3. stores the findings.

**One error policy.** A dependency that is down (`TRANSIENT`: Redis, PostgreSQL, the disk) is not a
bad event: the error goes up, the transport waits and carries on from its last checkpoint, and no
event is given up. Any other error is counted against the event that raised it:

- *detection* (a detector raised on the event): the detector state may be half-updated, so the
  core raises `Retry` and the transport goes back to its last checkpoint and processes again what
  came after it. After `max_attempts` failures the event is moved to the dead letters (its error,
  its payload, the lane) and the next replay leaves it out: the rest of the shard goes on, and the
  scanner's state is as if the event had never come.
- *storing* (the database refused an event or a finding as data): the write is retried in place,
  one row at a time, up to `max_attempts` times; a row still refused goes to the dead letters
  (an event refused is also left out of detection), the others are stored.

Dead letters are kept in the service store (`dead_letters`), shown by `/api/v1/health` (status
"degraded" with counts), on the dashboard and by `clearlive dead-letters list`.
"""

from __future__ import annotations

import hashlib
import logging
import time
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import msgspec

from clearlive.model.events import EventBase
from clearlive.model.findings import Finding

log = logging.getLogger("clearlive.worker")

MAX_ATTEMPTS = 3  # tries of one event (or one row's write) before it goes to the dead letters
_encode = msgspec.json.Encoder().encode


def _transient() -> tuple[type[BaseException], ...]:
    out: list[type[BaseException]] = [OSError]  # the disk (StoreUnwritable), a socket
    try:
        import redis

        out.append(redis.RedisError)
    except ImportError:  # pragma: no cover - redis is only needed by the Redis transport
        pass
    try:
        import psycopg

        out.append(psycopg.OperationalError)
    except ImportError:  # pragma: no cover - psycopg is only needed with PostgreSQL
        pass
    return tuple(out)


# A dependency down, not a bad event: waited for, never dead-lettered.
TRANSIENT: tuple[type[BaseException], ...] = _transient()


def checkpoint_gap(every_s: float, took_s: float) -> float:
    """Seconds between a worker's checkpoints under load: `every_s`, or longer when a checkpoint is
    slow (a large detector state), so that checkpoints take at most a fifth of the worker's time.
    Every transport paces the checkpoints it writes (a file, Redis, Spark's state store) by this."""
    return max(every_s, 4 * took_s)


class Retry(Exception):
    """A detector raised on an event: go back to the last checkpoint and process again what came
    after it (the core leaves out the events it has moved to the dead letters)."""


class EventFailed(Exception):
    """A detector raised on `event` (the original error is `__cause__`)."""

    def __init__(self, event: EventBase, error: BaseException) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.event = event
        self.error = error


class Tick:
    """The tenant's clock reached `ts` with an event this lane does not carry (another shard's room):
    a scanner given one only moves its clock (`Scanner.advance`), so that its rooms end on the
    tenant's clock, as in `clearlive scan`. It passes through the core among the events, named by
    `id`, and is never stored."""

    __slots__ = ("id", "room_id", "ts")

    def __init__(self, ts: int) -> None:
        self.ts = ts
        self.id = f"tick:{ts}"
        self.room_id = ""


def detect_each(scanner: Any, events: Iterable[EventBase]) -> list[Finding]:
    """`scanner.process` over each event, naming the event that raised (for the error policy)."""
    out: list[Finding] = []
    for ev in events:
        try:
            out.extend(scanner.process(ev))
        except TRANSIENT:
            raise
        except Exception as exc:
            raise EventFailed(ev, exc) from exc
    return out


def event_key(ev: EventBase) -> str:
    """What names an event to the error policy: its id, or (no id) its content."""
    if ev.id:
        return ev.id
    return "sha256:" + hashlib.sha256(msgspec.json.encode(msgspec.to_builtins(ev), order="sorted")).hexdigest()[:24]


@dataclass
class DeadLetter:
    """An event (or a finding) the worker gave up on, with why: what `dead_letters` holds."""

    tenant: str
    lane: str  # where it was: "embedded", a Redis lane ("0", "t1"), "spark-rooms"...
    event_id: str
    room_id: str
    stage: str  # "decode", "detect", "store-event" or "store-finding"
    error: str
    attempts: int
    payload: str  # the event (or finding) as JSON, or the raw entry that could not be read
    ts_ms: int = 0  # when it was given up


def error_text(exc: BaseException) -> str:
    """The error and where it was raised (the innermost frame), short enough to store."""
    where = ""
    tb = traceback.extract_tb(exc.__traceback__)
    if tb:
        last = tb[-1]
        where = f" (at {last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name})"
    return f"{type(exc).__name__}: {exc}{where}"[:2000]


class Sink(Protocol):
    """Where the core writes: the service store (`ServiceStore`), or rows of a Spark batch."""

    def add_events(self, tenant: str, events: Iterable[EventBase]) -> Any: ...

    def add_findings(self, tenant: str, findings: Iterable[Finding]) -> Any: ...

    def add_dead_letters(self, letters: Sequence[DeadLetter]) -> Any: ...


class Scanners(Protocol):
    def process(self, tenant: str, events: Iterable[EventBase]) -> list[Finding]: ...


class WorkerCore:
    """A batch through the tenant's scanners into the sink, under the error policy above. One core
    per worker; `attempts` and `dead` are what it remembers between a `Retry` and the replay."""

    def __init__(self, sink: Sink, max_attempts: int = MAX_ATTEMPTS, store_events: bool = True) -> None:
        self.sink = sink
        self.max_attempts = max_attempts
        self.store_events = store_events
        self.attempts: dict[tuple[str, str, str], int] = {}  # (lane, tenant, event id) -> failures
        self.dead: set[tuple[str, str, str]] = set()
        self.dead_count = 0  # dead letters written by this core

    def process(
        self,
        scanners: Scanners,
        tenant: str,
        events: list[EventBase],
        lane: str = "embedded",
        store_events: bool | None = None,
    ) -> list[Finding]:
        """Store `events` (as received), detect, store the findings; returns the findings. Raises
        `Retry` after a detector failed on an event (see the module docstring) and lets `TRANSIENT`
        errors through."""
        if self.dead:
            events = [e for e in events if (lane, tenant, event_key(e)) not in self.dead]
        if self.store_events if store_events is None else store_events:
            events = self._store_events(tenant, events, lane)
        try:
            found = scanners.process(tenant, events)
        except EventFailed as failed:
            self._detect_failed(tenant, failed, lane)
            raise Retry(str(failed)) from failed
        self._store_findings(tenant, found, events, lane)
        return found

    # detection ---------------------------------------------------------------------------------
    def _detect_failed(self, tenant: str, failed: EventFailed, lane: str) -> None:
        ev = failed.event
        key = (lane, tenant, event_key(ev))
        n = self.attempts[key] = self.attempts.get(key, 0) + 1
        text = error_text(failed.error)
        if n < self.max_attempts:
            log.warning(
                "lane %s: event %s of tenant %s failed (%d of %d): %s", lane, ev.id, tenant, n, self.max_attempts, text
            )
            return
        log.error(
            "lane %s: event %s of tenant %s failed %d times, moved to the dead letters: %s",
            lane,
            ev.id,
            tenant,
            n,
            text,
        )
        self._bury([self._letter(tenant, lane, ev, "detect", text, n)])
        self.dead.add(key)
        self.attempts.pop(key, None)

    # storing -----------------------------------------------------------------------------------
    def _store_events(self, tenant: str, events: list[EventBase], lane: str) -> list[EventBase]:
        """The events stored; those the store refuses as data (after retries) are dead-lettered and
        left out of detection."""
        try:
            self.sink.add_events(tenant, [e for e in events if not isinstance(e, Tick)])
            return events
        except TRANSIENT:
            raise
        except Exception as exc:
            log.warning("lane %s: storing %d events failed (%s); one at a time", lane, len(events), exc)
        kept = []
        for ev in events:
            if isinstance(ev, Tick):
                kept.append(ev)
                continue
            err = self._write_with_retries(lambda ev=ev: self.sink.add_events(tenant, [ev]))
            if err is None:
                kept.append(ev)
                continue
            key = (lane, tenant, event_key(ev))
            self._bury([self._letter(tenant, lane, ev, "store-event", err, self.max_attempts)])
            self.dead.add(key)
        return kept

    def _store_findings(self, tenant: str, found: list[Finding], events: list[EventBase], lane: str) -> None:
        if not found:
            return
        try:
            self.sink.add_findings(tenant, found)
            return
        except TRANSIENT:
            raise
        except Exception as exc:
            log.warning("lane %s: storing %d findings failed (%s); one at a time", lane, len(found), exc)
        for f in found:
            err = self._write_with_retries(lambda f=f: self.sink.add_findings(tenant, [f]))
            if err is None:
                continue
            event_id = f.event_ids[0] if f.event_ids else f.id
            letter = DeadLetter(
                tenant, lane, event_id or "", f.room_id, "store-finding", err, self.max_attempts, _encode(f).decode()
            )
            self._bury([letter])

    def _write_with_retries(self, write: Any) -> str | None:
        """None once written; the last error after `max_attempts` refusals."""
        err = ""
        for attempt in range(self.max_attempts):
            try:
                write()
                return None
            except TRANSIENT:
                raise
            except Exception as exc:
                err = error_text(exc)
                if attempt + 1 < self.max_attempts:
                    time.sleep(0.01 * (attempt + 1))
        return err

    # dead letters ------------------------------------------------------------------------------
    def _letter(self, tenant: str, lane: str, ev: EventBase, stage: str, error: str, attempts: int) -> DeadLetter:
        try:
            payload = _encode(ev).decode()
        except Exception:  # an event the encoder cannot write either: keep what can be said of it
            payload = repr(ev)[:10_000]
        return DeadLetter(tenant, lane, ev.id or "", ev.room_id, stage, error, attempts, payload)

    def undecodable(self, tenant: str, lane: str, ref: str, raw: bytes, exc: BaseException) -> None:
        """An entry that is not an event at all (written by something other than the front): `ref`
        names it in its transport (a stream entry id). Dead-lettered once, however often replayed."""
        key = (lane, tenant, ref)
        if key in self.dead:
            return
        self._bury([DeadLetter(tenant, lane, ref, "", "decode", error_text(exc), 1, raw.decode("utf-8", "replace"))])
        self.dead.add(key)

    def _bury(self, letters: list[DeadLetter]) -> None:
        now = int(time.time() * 1000)
        for letter in letters:
            letter.ts_ms = letter.ts_ms or now
        self.sink.add_dead_letters(letters)
        self.dead_count += len(letters)
