"""The service's JSON API (CONTRACT section 5): health, ingest, findings and their review, the
alert stream, rooms, the audit chain and ranking. The caller's key and role come from the
dependencies in clearlive.serve.deps; every answer is of the key's tenant only.

(No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.)
"""

import asyncio
import json
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from clearlive.model.findings import SEVERITIES, SEVERITY_RANK
from clearlive.reward.ranking import POLICIES, UNCERTAINTY, Candidate, rank
from clearlive.serve.alerts import int_or_zero
from clearlive.serve.deps import Admin, Ingester, Key, Reviewer, Store, Submitter
from clearlive.serve.ingest import accept
from clearlive.serve.limits import read_body
from clearlive.watch.sources.adapters import SOURCES as ADAPTER_SOURCES

LOW_DISK_BYTES = 64 << 20  # /health warns below this: a full request (10 MiB) takes a few times that to store

router = APIRouter()


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


@router.get("/api/v1/health", tags=["service"])
def health(request: Request, store: Store, submitter: Submitter) -> dict[str, Any]:
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
    dead = [p.name for p in request.app.state.status.get("workers", []) if not p.is_alive()]
    waiting += [f"worker {name} stopped" for name in dead]
    letters: dict[str, int] = {}
    try:  # events the workers gave up on (clearlive.watch.scan.worker_core), until resolved
        letters = store.dead_letter_counts()
    except Exception as exc:
        waiting.append(f"database ({store.db.kind}): {type(exc).__name__}")
    return {
        "status": "ok" if not waiting and not letters else "degraded",
        "waiting_for": waiting,
        "queue_lag": lag,
        "dead_letters": {"total": sum(letters.values()), "by_stage": letters},
    }


@router.post("/api/v1/events", status_code=202, tags=["ingest"])
async def ingest(
    request: Request,
    info: Ingester,
    store: Store,
    submitter: Submitter,
    source: str | None = Query(default=None, description="tiktok or douyin: the body is that client's messages"),
    room_id: str | None = Query(default=None, description="with `source`: the room the messages are from"),
) -> dict[str, Any]:
    """Events (CONTRACT section 2) as a JSON array or NDJSON, or with `source` a live client's
    messages as NDJSON (see clearlive.watch.sources.adapters). Answers with how many were accepted and,
    for each rejected one, its line (or array position), field and reason."""
    body = await read_body(request)
    if source is not None and (source not in ADAPTER_SOURCES or not room_id):
        raise HTTPException(422, f"source must be one of {', '.join(ADAPTER_SOURCES)}, with room_id")
    # Converting, parsing, room ownership and the queue are blocking work: off the event loop,
    # so that the alert streams and other requests it also serves are not held up by a large one.
    answer = await asyncio.to_thread(accept, store, submitter, body, info, source, room_id)
    if answer["rejected"] and not answer["accepted"]:
        # nothing of the body was taken: not "accepted", the rejects say why (line and field)
        return JSONResponse(answer, status_code=422)  # type: ignore[return-value]  # FastAPI sends a Response as is
    return answer


@router.get("/api/v1/findings", tags=["findings"])
def findings(
    info: Key,
    store: Store,
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


@router.get("/api/v1/findings/{finding_id}", tags=["findings"])
def finding(finding_id: str, info: Key, store: Store) -> dict[str, Any]:
    found = store.finding(info.tenant, finding_id)
    if found is None:
        raise HTTPException(404, "no such finding")
    return found


@router.post("/api/v1/findings/{finding_id}/review", tags=["review"])
def review(finding_id: str, body: ReviewIn, info: Reviewer, store: Store) -> dict[str, Any]:
    """Confirm, dismiss (with a reason) or escalate; recorded in the hash-chained audit log."""
    try:
        return store.review(info.tenant, finding_id, body.decision, body.reason, info.prefix)
    except KeyError as exc:
        raise HTTPException(404, "no such finding") from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


@router.get("/api/v1/alerts", tags=["findings"])
async def alerts(
    request: Request,
    info: Key,
    last_event_id: Annotated[str | None, Header()] = None,
    after: int | None = Query(default=None, ge=0, description="resume after this seq (as Last-Event-ID)"),
) -> StreamingResponse:
    """Server-sent events: one `finding` event per new finding, `id` = its seq; `Last-Event-ID`
    (or `after`) resumes after a disconnect without losing or repeating any."""
    start = after if after is not None else int_or_zero(last_event_id)
    render = lambda f: json.dumps(f, ensure_ascii=False)  # noqa: E731
    return request.app.state.alert_stream(request, info.tenant, start, render, info.prefix)


@router.get("/api/v1/rooms", tags=["findings"])
def rooms(info: Key, store: Store) -> list[dict[str, Any]]:
    return store.rooms(info.tenant)


@router.get("/api/v1/audit/verify", tags=["service"])
def audit_verify(info: Admin, store: Store) -> dict[str, Any]:
    """The admin's tenant's entries of the audit chain: each one's hash, and its links to the
    entries before and after it (`clearlive audit verify` checks the whole chain)."""
    ok, checked, problem = store.verify_audit(info.tenant)
    return {"intact": ok, "entries": checked, "problem": problem or None}


@router.post("/api/v1/rank", tags=["ranking"])
def rank_rooms(body: RankIn, info: Key) -> list[dict[str, Any]]:
    """Rank candidate rooms under a policy (clearlive.reward.ranking; docs/simulation.md)."""
    if body.policy not in POLICIES or body.uncertainty not in UNCERTAINTY:
        raise HTTPException(422, f"policy: {', '.join(POLICIES)}; uncertainty: {', '.join(UNCERTAINTY)}")
    cands = [Candidate(**c.model_dump()) for c in body.candidates]
    return [asdict(r) for r in rank(cands, body.policy, body.uncertainty, seed=body.seed)]
