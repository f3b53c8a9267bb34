"""What `POST /api/v1/events` does with a body: parse it (a JSON array, NDJSON, or a live client's
messages through an adapter), keep out the events of rooms another tenant owns and the ids already
given to other content, and hand the rest to the submitter. Blocking work: the route runs it off the
event loop."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Protocol

import msgspec
from fastapi import HTTPException

from clearlive.model.events import EventBase, EventReader
from clearlive.serve.embedded import QueueFull
from clearlive.serve.keys import KeyInfo
from clearlive.serve.store import ServiceStore
from clearlive.watch.sources.adapters import adapt_recording
from clearlive.watch.sources.rejects import field_of

MAX_EVENTS = 10_000  # per request
MAX_LINE_BYTES = 1 << 20
ID_CONFLICT = "conflict: this id was already given to another event, with other content"


class Submitter(Protocol):
    """Where accepted events go: the embedded queue or Redis Streams (same interface)."""

    def submit(self, tenant: str, events: list[EventBase]) -> None: ...

    def lag(self) -> int: ...

    def waiting_for(self) -> list[str]:
        """What the submitter's own workers wait for (the embedded worker: the disk), for /health."""
        ...


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


def accept(
    store: ServiceStore,
    submitter: Submitter,
    body: bytes,
    info: KeyInfo,
    source: str | None = None,
    room_id: str | None = None,
) -> dict[str, Any]:
    """The answer to one ingest request: how many events were accepted, and each reject's line,
    field and reason (the first 100)."""
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
