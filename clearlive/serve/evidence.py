"""The evidence a regulator gets: a room's export (`evidence.zip`: its findings as JSON Lines and
CSV, its events, a manifest with each file's SHA-256) and the reviewers' decisions as a labeled
set (`/api/v1/labels`). Every route needs a reviewer (or admin) key and sees only its tenant's rooms;
an export is audited once it is complete.

(No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.)
"""

import asyncio
import csv
import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response, StreamingResponse

from clearlive.serve.deps import Reviewer, Store
from clearlive.serve.keys import KeyInfo
from clearlive.serve.store import ServiceStore, now_ms

router = APIRouter(tags=["review"])


@router.get("/api/v1/evidence.zip")
async def evidence_by_query(
    info: Reviewer, store: Store, room_id: str = Query(description="the room, any characters (URL-encoded)")
) -> StreamingResponse:
    """The evidence export of a room named in the query: for room ids with `/` or `?` in them,
    which a path segment cannot carry through every proxy."""
    return await evidence_response(store, room_id, info)


@router.get("/api/v1/rooms/{room_id:path}/evidence.zip")
async def evidence(room_id: str, info: Reviewer, store: Store) -> StreamingResponse:
    """Everything a regulator needs about a room's findings, with a SHA-256 manifest. The room id
    is percent-encoded in the path (a `/` as %2F) or given as `?room_id=` to /api/v1/evidence.zip."""
    return await evidence_response(store, room_id, info)


@router.get("/api/v1/labels")
def labels(info: Reviewer, store: Store) -> Response:
    """Reviewers' decisions as a labeled set (JSON Lines): confirmed findings as positives,
    dismissed ones as hard negatives with the reason; `clearlive eval --data` and
    `clearlive train claims --data` read it as it is."""
    rows = store.labels(info.tenant)
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    return Response(body, media_type="application/x-ndjson")


async def evidence_response(store: ServiceStore, room_id: str, info: KeyInfo) -> StreamingResponse:
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
