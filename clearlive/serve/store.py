"""What the live service keeps: API keys (hashed, see keys.py), room ownership per tenant, events, findings with a
sequence number for the alert stream, reviewers' decisions, and a hash-chained audit log.

Every read takes the tenant and returns only that tenant's rows: isolation is in the queries, not
left to the callers. Findings are inserted by their deterministic ids with ON CONFLICT DO NOTHING,
so a redelivered event (at-least-once transport) never duplicates a finding.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import msgspec

from clearlive.model.events import EventBase, event_type
from clearlive.model.findings import Finding
from clearlive.serve.db import Database, DuckDatabase, PostgresDatabase, open_database
from clearlive.serve.keys import KeyInfo, KeyStore, SqliteKeyStore, SqlKeyStore
from clearlive.watch.scan.worker_core import DeadLetter

DECISIONS = ("confirm", "dismiss", "escalate")
STATUS_OF = {"confirm": "confirmed", "dismiss": "dismissed", "escalate": "escalated"}
UNDO = "undo"  # a review row and audit action that reverses the decision before it
AUDIT_LOCK = 7_204_311  # advisory lock id that serialises audit-chain appends in PostgreSQL
GENESIS = "0" * 64
DONE_THROUGH = "events_done_through"  # service_meta: the last event seq a detector checkpoint covers
_encode = msgspec.json.Encoder().encode


def now_ms() -> int:
    return int(time.time() * 1000)


class ServiceStore:
    def __init__(self, db: Database, keys: KeyStore) -> None:
        self.db = db
        self.keys = keys

    # keys ------------------------------------------------------------------------------------
    def create_key(self, role: str, tenant: str) -> str:
        return self.keys.create(role, tenant)

    def key_info(self, key: str) -> KeyInfo | None:
        return self.keys.lookup(key) if key else None

    # rooms and events ------------------------------------------------------------------------
    def claim_rooms(self, tenant: str, room_ids: Iterable[str]) -> set[str]:
        """Give unowned rooms to `tenant`; return the rooms among `room_ids` that another tenant owns."""
        rooms = sorted(set(room_ids))
        if not rooms:
            return set()
        self.db.insert_rows("rooms", ("room_id", "tenant", "first_ms"), [(r, tenant, now_ms()) for r in rooms])
        owners = self._owners(rooms)
        return {r for r in rooms if owners.get(r) != tenant}

    def _owners(self, rooms: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for i in range(0, len(rooms), 500):
            chunk = rooms[i : i + 500]
            marks = ", ".join("?" for _ in chunk)
            out.update(dict(self.db.query(f"SELECT room_id, tenant FROM rooms WHERE room_id IN ({marks})", chunk)))
        return out

    def tenant_of_room(self, room_id: str) -> str | None:
        rows = self.db.query("SELECT tenant FROM rooms WHERE room_id = ?", [room_id])
        return rows[0][0] if rows else None

    def rooms(self, tenant: str) -> list[dict[str, Any]]:
        rows = self.db.query(
            """SELECT r.room_id, r.first_ms,
                      (SELECT count(*) FROM findings f WHERE f.room_id = r.room_id AND f.tenant = r.tenant),
                      (SELECT count(*) FROM findings f WHERE f.room_id = r.room_id AND f.tenant = r.tenant
                                                           AND f.status = 'open')
               FROM rooms r WHERE r.tenant = ? ORDER BY r.room_id""",
            [tenant],
        )
        return [{"room_id": r, "first_seen": f, "findings": n, "open": o} for r, f, n, o in rows]

    def add_events(
        self, tenant: str, events: Iterable[EventBase], done: bool = True, digests: Iterable[str] | None = None
    ) -> list[EventBase]:
        """Store events; return those not stored before (a redelivered event is seen once). `done=False`
        marks them accepted but not yet covered by a detector checkpoint (embedded mode). `digests`:
        each event's `event_digest`, if known already (computed here otherwise)."""
        events = list(events)
        sums = list(digests) if digests is not None else [event_digest(e) for e in events]
        batch: dict[str, tuple[EventBase, str]] = {}
        for e, d in zip(events, sums, strict=True):
            batch.setdefault(e.id or "", (e, d))
        old = self._existing_ids("events", tenant, list(batch))
        new = [(e, d) for eid, (e, d) in batch.items() if eid not in old]
        self.db.insert_rows(
            "events",
            ("id", "tenant", "room_id", "type", "ts_ms", "payload", "done", "digest"),
            [(e.id, tenant, e.room_id, event_type(e), e.ts, _encode(e).decode(), done, d) for e, d in new],
            seq=("seq", "event_seq"),
        )
        return [e for e, _ in new]

    def id_conflicts(self, tenant: str, numbered: list[tuple[int, EventBase]]) -> list[tuple[int, EventBase]]:
        """The events (with their line) whose id the tenant already gave an event with other content:
        earlier in the same request, or stored before. The same content again is no conflict (a
        retry: stored once). Events stored before schema 5 have no digest and are taken as the same.
        (With Redis the workers store events: an id sent twice within the moments before the first
        is stored is caught only within one request; the worker keeps the first.)"""
        first: dict[str, str] = {}
        out: list[tuple[int, EventBase]] = []
        kept: list[tuple[int, EventBase, str]] = []
        for n, e in numbered:
            d = event_digest(e)
            seen = first.setdefault(e.id or "", d)
            if seen != d:
                out.append((n, e))
            else:
                kept.append((n, e, d))
        stored = self._digests(tenant, list(first))
        out += [(n, e) for n, e, d in kept if stored.get(e.id or "", d) not in (d, None)]
        return sorted(out, key=lambda ne: ne[0])

    def _digests(self, tenant: str, ids: list[str]) -> dict[str, str | None]:
        found: dict[str, str | None] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ", ".join("?" for _ in chunk)
            found.update(
                self.db.query(f"SELECT id, digest FROM events WHERE tenant = ? AND id IN ({marks})", [tenant, *chunk])
            )
        return found

    def pending_events(self) -> list[tuple[str, EventBase]]:
        """Events accepted but not covered by a checkpoint, in the order they were accepted."""
        from clearlive.model.events import Event

        rows = self.db.query("SELECT tenant, payload FROM events WHERE seq > ? ORDER BY seq", [self._done_through()])
        return [(t, msgspec.json.decode(p, type=Event)) for t, p in rows]

    def mark_done_through(self, tenant: str, event_id: str) -> None:
        """Everything accepted up to and including `tenant`'s `event_id` is covered by a checkpoint
        (one worker processes events in the order they were accepted): one watermark, whatever the
        store's size."""
        rows = self.db.query("SELECT seq FROM events WHERE tenant = ? AND id = ?", [tenant, event_id])
        if rows and rows[0][0] is not None:
            self.db.execute(
                "INSERT INTO service_meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [DONE_THROUGH, str(rows[0][0])],
            )

    def _done_through(self) -> int:
        rows = self.db.query("SELECT value FROM service_meta WHERE key = ?", [DONE_THROUGH])
        if rows:
            return int(rows[0][0])
        # A store written before the watermark (schema 2) flagged each row: start below the first
        # event not flagged done.
        first_pending = self.db.query("SELECT min(seq) FROM events WHERE NOT done")[0][0]
        if first_pending is not None:
            return int(first_pending) - 1
        return int(self.db.query("SELECT coalesce(max(seq), 0) FROM events")[0][0])

    def room_events(
        self,
        tenant: str,
        room_id: str,
        limit: int = 5000,
        offset: int = 0,
        types: tuple[str, ...] | None = None,
        between_ms: tuple[int, int] | None = None,
    ) -> list[dict[str, Any]]:
        """A room's events in time order: a page of them (`limit`, `offset`), of some `types`, or
        those within `between_ms` (inclusive)."""
        where, params = self._room_where(tenant, room_id, types, between_ms)
        rows = self.db.query(
            f"SELECT payload FROM events WHERE {where} ORDER BY ts_ms, id LIMIT ? OFFSET ?", [*params, limit, offset]
        )
        return [json.loads(r[0]) for r in rows]

    def room_event_pages(self, tenant: str, room_id: str, page: int = 5000) -> Iterator[list[dict[str, Any]]]:
        """Every event of a room in time order, a page at a time (keyset paging: no offset to skip,
        no cap)."""
        after: tuple[int, str] | None = None
        while True:
            sql = "SELECT ts_ms, id, payload FROM events WHERE tenant = ? AND room_id = ?"
            params: list[Any] = [tenant, room_id]
            if after is not None:
                sql += " AND (ts_ms > ? OR (ts_ms = ? AND id > ?))"
                params += [after[0], after[0], after[1]]
            rows = self.db.query(sql + " ORDER BY ts_ms, id LIMIT ?", [*params, page])
            if not rows:
                return
            yield [json.loads(r[2]) for r in rows]
            after = (rows[-1][0], rows[-1][1])

    def count_room_events(self, tenant: str, room_id: str, types: tuple[str, ...] | None = None) -> int:
        where, params = self._room_where(tenant, room_id, types, None)
        return int(self.db.query(f"SELECT count(*) FROM events WHERE {where}", params)[0][0])

    def count_room_events_by_type(self, tenant: str, room_id: str) -> dict[str, int]:
        rows = self.db.query(
            "SELECT type, count(*) FROM events WHERE tenant = ? AND room_id = ? GROUP BY type", [tenant, room_id]
        )
        return {t: int(n) for t, n in rows}

    def room_first_ms(self, tenant: str, room_id: str) -> int | None:
        rows = self.db.query("SELECT min(ts_ms) FROM events WHERE tenant = ? AND room_id = ?", [tenant, room_id])
        return rows[0][0] if rows else None

    @staticmethod
    def _room_where(
        tenant: str, room_id: str, types: tuple[str, ...] | None, between_ms: tuple[int, int] | None
    ) -> tuple[str, list[Any]]:
        where = "tenant = ? AND room_id = ?"
        params: list[Any] = [tenant, room_id]
        if types:
            where += f" AND type IN ({', '.join('?' for _ in types)})"
            params.extend(types)
        if between_ms is not None:
            where += " AND ts_ms BETWEEN ? AND ?"
            params.extend(between_ms)
        return where, params

    # findings --------------------------------------------------------------------------------
    def add_findings(self, tenant: str, findings: Iterable[Finding]) -> int:
        """Insert new findings; a finding already stored (same id) is left as it was. Returns how many were new."""
        rows = [
            (f.id, tenant, f.room_id, f.anchor_id, f.severity, f.category, f.rule_id, f.ts_ms, _encode(f).decode())
            for f in findings
        ]
        if not rows:
            return 0
        ids = [r[0] for r in rows]
        before = self._existing_ids("findings", tenant, ids)
        self.db.insert_rows(
            "findings",
            ("id", "tenant", "room_id", "anchor_id", "severity", "category", "rule_id", "ts_ms", "record", "status"),
            [(*r, "open") for r in rows if r[0] not in before],
            seq=("seq", "finding_seq"),
        )
        return len(set(ids) - before)

    def _existing_ids(self, table: str, tenant: str, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ", ".join("?" for _ in chunk)
            found.update(
                r[0]
                for r in self.db.query(f"SELECT id FROM {table} WHERE tenant = ? AND id IN ({marks})", [tenant, *chunk])
            )
        return found

    def findings(
        self,
        tenant: str,
        room_id: str | None = None,
        status: str | None = None,
        min_severity_rank: int | None = None,
        after_seq: int = 0,
        limit: int | None = 500,
        newest_first: bool = False,
    ) -> list[dict[str, Any]]:
        """The tenant's findings after seq `after_seq`, by seq (the newest first with `newest_first`),
        at most `limit` of them (None: all; page by seq to read any number)."""
        sql = "SELECT seq, status, record FROM findings WHERE tenant = ? AND seq > ?"
        params: list[Any] = [tenant, after_seq]
        if room_id is not None:
            sql += " AND room_id = ?"
            params.append(room_id)
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        if min_severity_rank is not None:
            from clearlive.model.findings import SEVERITIES

            allowed = list(SEVERITIES[min_severity_rank:])
            sql += f" AND severity IN ({', '.join('?' for _ in allowed)})"
            params.extend(allowed)
        sql += " ORDER BY seq DESC" if newest_first else " ORDER BY seq"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [{**json.loads(rec), "seq": seq, "status": st} for seq, st, rec in self.db.query(sql, params)]

    def latest_finding_seq(self, tenant: str) -> int:
        """The tenant's largest finding seq (0: none): what the alert streams' notifier watches."""
        return int(self.db.query("SELECT coalesce(max(seq), 0) FROM findings WHERE tenant = ?", [tenant])[0][0])

    def finding(self, tenant: str, finding_id: str) -> dict[str, Any] | None:
        rows = self.db.query(
            "SELECT seq, status, record FROM findings WHERE tenant = ? AND id = ?", [tenant, finding_id]
        )
        return {**json.loads(rows[0][2]), "seq": rows[0][0], "status": rows[0][1]} if rows else None

    def select_findings(
        self,
        tenant: str,
        *,
        rooms: list[str] | None = None,
        rules: list[str] | None = None,
        categories: list[str] | None = None,
        severities: list[str] | None = None,
        hosts: list[str] | None = None,
        statuses: list[str] | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        assignee: str | None = None,
        ids: list[str] | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """The tenant's findings that pass every filter given (a list: any of its values), in time
        order, with `seq`, `status` and `assignee`: what the review queue groups and pages."""
        sql = "SELECT seq, status, assignee, record FROM findings WHERE tenant = ?"
        params: list[Any] = [tenant]
        for column, values in (
            ("room_id", rooms),
            ("rule_id", rules),
            ("category", categories),
            ("severity", severities),
            ("anchor_id", hosts),
            ("status", statuses),
            ("id", ids),
        ):
            if values:
                sql += f" AND {column} IN ({', '.join('?' for _ in values)})"
                params.extend(values)
        if since_ms is not None:
            sql += " AND ts_ms >= ?"
            params.append(since_ms)
        if until_ms is not None:
            sql += " AND ts_ms <= ?"
            params.append(until_ms)
        if assignee is not None:
            sql += " AND assignee = ?"
            params.append(assignee)
        sql += " ORDER BY ts_ms, seq"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [
            {**json.loads(rec), "seq": seq, "status": st, "assignee": who}
            for seq, st, who, rec in self.db.query(sql, params)
        ]

    def facets(self, tenant: str) -> dict[str, list[str]]:
        """The values the queue's filters offer: the tenant's rooms, rules, categories and hosts, and
        the reviewers findings are assigned to."""
        out = {}
        for name, column in (
            ("rooms", "room_id"),
            ("rules", "rule_id"),
            ("categories", "category"),
            ("hosts", "anchor_id"),
        ):
            rows = self.db.query(
                f"SELECT DISTINCT {column} FROM findings WHERE tenant = ? AND {column} IS NOT NULL ORDER BY 1", [tenant]
            )
            out[name] = [r[0] for r in rows]
        out["assignees"] = [
            r[0]
            for r in self.db.query(
                "SELECT DISTINCT assignee FROM findings WHERE tenant = ? AND assignee IS NOT NULL ORDER BY 1", [tenant]
            )
        ]
        return out

    def review(self, tenant: str, finding_id: str, decision: str, reason: str | None, actor: str) -> dict[str, Any]:
        return self.review_many(tenant, [finding_id], decision, reason, actor)[0]

    def review_many(
        self, tenant: str, finding_ids: list[str], decision: str, reason: str | None, actor: str
    ) -> list[dict[str, Any]]:
        """One decision on several findings (an incident, a bulk selection) in one transaction, each
        with its own review row and audit entry. Nothing is written if any id is unknown."""
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(DECISIONS)}")
        if decision == "dismiss" and not (reason or "").strip():
            raise ValueError("a dismissal needs a reason")
        ids = list(dict.fromkeys(finding_ids))
        missing = set(ids) - self._existing_ids_of(tenant, ids)
        if missing or not ids:
            raise KeyError(sorted(missing)[0] if missing else "no finding")
        ts = now_ms()
        with self.db.transaction(AUDIT_LOCK):
            for finding_id in ids:
                self.db.execute(
                    "UPDATE findings SET status = ? WHERE tenant = ? AND id = ?",
                    [STATUS_OF[decision], tenant, finding_id],
                )
                seq = self._append_audit(tenant, actor, f"finding.{decision}", finding_id, {"reason": reason}, ts)
                self.db.execute(
                    "INSERT INTO reviews (id, finding_id, tenant, decision, reason, reviewer, ts_ms) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [f"audit-{seq}", finding_id, tenant, decision, reason, actor, ts],
                )
        return [
            {"finding_id": fid, "decision": decision, "status": STATUS_OF[decision], "reviewer": actor} for fid in ids
        ]

    def undo(self, tenant: str, finding_ids: list[str], actor: str) -> list[dict[str, Any]]:
        """Reverse each finding's latest decision not yet reversed: the finding goes back to the
        status before it, and the reversal is a new review row and audit entry (`finding.undo`),
        never an edit of the old ones. Nothing is written if a finding has nothing to undo."""
        ids = list(dict.fromkeys(finding_ids))
        stacks = self._decision_stacks(tenant, ids)
        empty = [fid for fid in ids if not stacks.get(fid)]
        if empty or not ids:
            raise ValueError(f"finding {empty[0] if empty else ''} has no decision to undo".replace("  ", " "))
        ts = now_ms()
        out = []
        with self.db.transaction(AUDIT_LOCK):
            for fid in ids:
                reverted = stacks[fid].pop()[0]
                status = STATUS_OF[stacks[fid][-1][0]] if stacks[fid] else "open"
                self.db.execute("UPDATE findings SET status = ? WHERE tenant = ? AND id = ?", [status, tenant, fid])
                seq = self._append_audit(
                    tenant, actor, f"finding.{UNDO}", fid, {"reverses": reverted, "status": status}, ts
                )
                self.db.execute(
                    "INSERT INTO reviews (id, finding_id, tenant, decision, reason, reviewer, ts_ms) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [f"audit-{seq}", fid, tenant, UNDO, f"reverses {reverted}", actor, ts],
                )
                out.append({"finding_id": fid, "decision": UNDO, "reverses": reverted, "status": status})
        return out

    def assign(self, tenant: str, finding_ids: list[str], assignee: str | None, actor: str) -> int:
        """Give findings to a reviewer (None: to nobody); each change is an audit entry."""
        ids = list(dict.fromkeys(finding_ids))
        missing = set(ids) - self._existing_ids_of(tenant, ids)
        if missing:
            raise KeyError(sorted(missing)[0])
        ts = now_ms()
        with self.db.transaction(AUDIT_LOCK):
            for fid in ids:
                self.db.execute("UPDATE findings SET assignee = ? WHERE tenant = ? AND id = ?", [assignee, tenant, fid])
                self._append_audit(tenant, actor, "finding.assign", fid, {"assignee": assignee}, ts)
        return len(ids)

    def _existing_ids_of(self, tenant: str, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ", ".join("?" for _ in chunk)
            found.update(
                r[0]
                for r in self.db.query(
                    f"SELECT id FROM findings WHERE tenant = ? AND id IN ({marks})", [tenant, *chunk]
                )
            )
        return found

    def _decision_stacks(self, tenant: str, ids: list[str] | None = None) -> dict[str, list[tuple[str, str | None]]]:
        """Each finding's decisions still in force, oldest first, read from the audit log (its order
        is the chain's): a decision pushes, an undo pops."""
        sql = "SELECT subject, action, detail FROM audit_log WHERE tenant = ? AND action LIKE 'finding.%'"
        params: list[Any] = [tenant]
        if ids is not None:
            if not ids:
                return {}
            sql += f" AND subject IN ({', '.join('?' for _ in ids)})"
            params.extend(ids)
        stacks: dict[str, list[tuple[str, str | None]]] = {}
        for subject, action, detail in self.db.query(sql + " ORDER BY seq", params):
            kind = action.removeprefix("finding.")
            if kind in DECISIONS:
                stacks.setdefault(subject, []).append((kind, json.loads(detail).get("reason")))
            elif kind == UNDO and stacks.get(subject):
                stacks[subject].pop()
        return stacks

    def _verdicts(self, tenant: str) -> dict[str, tuple[str, str | None]]:
        """Each finding's latest confirm or dismiss still in force (an escalation after it does not
        take it back; an undo does), with its reason."""
        out = {}
        for fid, stack in self._decision_stacks(tenant).items():
            last = next((d for d in reversed(stack) if d[0] in ("confirm", "dismiss")), None)
            if last is not None:
                out[fid] = last
        return out

    def decisions(self, tenant: str) -> dict[str, str]:
        """Each reviewed finding's latest decision, as the credit ledger reads them."""
        verdict = {"confirm": "confirmed", "dismiss": "dismissed"}
        return {fid: verdict[d] for fid, (d, _) in self._verdicts(tenant).items()}

    def labels(self, tenant: str) -> list[dict[str, Any]]:
        """Reviewed findings as a labeled set (the format `clearlive eval` and `clearlive train claims`
        read): a confirmed finding is a positive of its category, a dismissed one a hard negative
        that nearly belonged to it, with the reviewer's reason as a note. The latest decision counts."""
        latest = self._verdicts(tenant)
        out = []
        for fid, (decision, reason) in sorted(latest.items()):
            f = self.finding(tenant, fid)
            if f is None:
                continue
            text, kind = f["evidence"]["context"], f.get("event_type") or "utterance"
            events = self.db.query(
                "SELECT payload FROM events WHERE tenant = ? AND id = ?", [tenant, (f.get("event_ids") or [""])[0]]
            )
            if events:
                payload = json.loads(events[0][0])
                text, kind = payload.get("text") or text, payload.get("type", kind)
            row: dict[str, Any] = {"id": f"review-{fid}", "text": text, "event": kind, "categories": []}
            if decision == "confirm":
                row["categories"] = [f["category"]]
            else:
                row["near"] = f["category"]
                row["note"] = reason
            out.append(row)
        return out

    # dead letters ----------------------------------------------------------------------------
    def add_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        """What a worker gave up on (clearlive.watch.scan.worker_core): kept until resolved."""
        self.db.insert_rows(
            "dead_letters",
            ("tenant", "lane", "event_id", "room_id", "stage", "error", "attempts", "payload", "ts_ms"),
            [
                (d.tenant, d.lane, d.event_id, d.room_id, d.stage, d.error, d.attempts, d.payload, d.ts_ms)
                for d in letters
            ],
            seq=("seq", "dead_letter_seq"),
        )

    def dead_letter_counts(self, tenant: str | None = None) -> dict[str, int]:
        """Unresolved dead letters by stage (of one tenant, or of every tenant)."""
        sql = "SELECT stage, count(*) FROM dead_letters WHERE resolved_ms IS NULL"
        params: list[Any] = []
        if tenant is not None:
            sql += " AND tenant = ?"
            params.append(tenant)
        return {stage: int(n) for stage, n in self.db.query(sql + " GROUP BY stage ORDER BY stage", params)}

    def dead_letters(
        self, tenant: str | None = None, resolved: bool = False, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """Dead letters, oldest first: unresolved ones (or, with `resolved`, every one)."""
        sql = (
            "SELECT seq, tenant, lane, event_id, room_id, stage, error, attempts, payload, ts_ms, resolved_ms "
            "FROM dead_letters WHERE 1 = 1"
        )
        params: list[Any] = []
        if not resolved:
            sql += " AND resolved_ms IS NULL"
        if tenant is not None:
            sql += " AND tenant = ?"
            params.append(tenant)
        sql += " ORDER BY seq LIMIT ?"
        params.append(limit)
        cols = ("seq", "tenant", "lane", "event_id", "room_id", "stage", "error", "attempts", "payload", "ts_ms")
        return [{**dict(zip(cols, r[:10], strict=True)), "resolved_ms": r[10]} for r in self.db.query(sql, params)]

    def resolve_dead_letters(self, tenant: str | None = None, through_seq: int | None = None) -> int:
        """Mark dead letters dealt with (all, a tenant's, or up to a seq); returns how many."""
        where = " WHERE resolved_ms IS NULL"
        params: list[Any] = []
        if tenant is not None:
            where += " AND tenant = ?"
            params.append(tenant)
        if through_seq is not None:
            where += " AND seq <= ?"
            params.append(through_seq)
        n = int(self.db.query("SELECT count(*) FROM dead_letters" + where, params)[0][0])
        self.db.execute("UPDATE dead_letters SET resolved_ms = ?" + where, [now_ms(), *params])
        return n

    # audit -----------------------------------------------------------------------------------
    def audit(self, tenant: str, actor: str, action: str, subject: str, detail: dict[str, Any]) -> None:
        with self.db.transaction(AUDIT_LOCK):
            self._append_audit(tenant, actor, action, subject, detail, now_ms())

    def _append_audit(self, tenant: str, actor: str, action: str, subject: str, detail: dict[str, Any], ts: int) -> int:
        """Append an entry to the chain; its seq."""
        last = self.db.query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        seq, prev = (last[0][0] + 1, last[0][1]) if last else (1, GENESIS)
        body = json.dumps(detail, sort_keys=True, ensure_ascii=False)
        digest = entry_hash(prev, seq, ts, tenant, actor, action, subject, body)
        self.db.execute(
            "INSERT INTO audit_log (seq, ts_ms, tenant, actor, action, subject, detail, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [seq, ts, tenant, actor, action, subject, body, prev, digest],
        )
        return int(seq)

    def audit_entries(self, tenant: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT seq, ts_ms, tenant, actor, action, subject, detail, prev_hash, hash FROM audit_log"
        params: list[Any] = []
        if tenant is not None:
            sql += " WHERE tenant = ?"
            params.append(tenant)
        cols = ("seq", "ts_ms", "tenant", "actor", "action", "subject", "detail", "prev_hash", "hash")
        return [dict(zip(cols, r, strict=True)) for r in self.db.query(sql + " ORDER BY seq", params)]

    def verify_audit(self, tenant: str | None = None) -> tuple[bool, int, str]:
        """Recompute the chain: (intact, entries checked, what is wrong at the first broken entry).

        With `tenant`, only that tenant's entries are read and counted: each one's hash is
        recomputed, and its links checked to the entries just before and after it in the chain,
        whoever's they are (only their seq and hash are read). An entry of another tenant altered or
        removed between two others of other tenants is found by the whole chain's check (`clearlive
        audit verify`, the operator's), not by a tenant's."""
        if tenant is not None:
            return self._verify_tenant(tenant)
        prev = GENESIS
        entries = self.audit_entries()
        for n, e in enumerate(entries, start=1):
            if e["seq"] != n:
                return False, n - 1, f"entry {n} is missing (found seq {e['seq']})"
            if e["prev_hash"] != prev:
                return False, n - 1, f"entry {n} does not follow entry {n - 1}"
            expected = entry_hash(
                prev, e["seq"], e["ts_ms"], e["tenant"], e["actor"], e["action"], e["subject"], e["detail"]
            )
            if expected != e["hash"]:
                return False, n - 1, f"entry {n} was altered"
            prev = e["hash"]
        return True, len(entries), ""

    def _verify_tenant(self, tenant: str) -> tuple[bool, int, str]:
        entries = self.audit_entries(tenant)
        if not entries:
            return True, 0, ""
        seqs = [e["seq"] for e in entries]
        near = sorted({s - 1 for s in seqs} | {s + 1 for s in seqs})
        links: dict[int, tuple[str, str]] = {}
        for i in range(0, len(near), 500):
            chunk = near[i : i + 500]
            rows = self.db.query(
                f"SELECT seq, prev_hash, hash FROM audit_log WHERE seq IN ({', '.join('?' for _ in chunk)})", chunk
            )
            links.update({seq: (prev, digest) for seq, prev, digest in rows})
        last = int(self.db.query("SELECT coalesce(max(seq), 0) FROM audit_log")[0][0])
        for n, e in enumerate(entries, start=1):
            seq = e["seq"]
            expected = entry_hash(
                e["prev_hash"], seq, e["ts_ms"], e["tenant"], e["actor"], e["action"], e["subject"], e["detail"]
            )
            if expected != e["hash"]:
                return False, n - 1, f"entry {seq} was altered"
            before = GENESIS if seq == 1 else (links.get(seq - 1) or (None, None))[1]
            if before is None:
                return False, n - 1, f"the entry before entry {seq} is missing"
            if e["prev_hash"] != before:
                return False, n - 1, f"entry {seq} does not follow entry {seq - 1}"
            if seq < last:
                after = links.get(seq + 1)
                if after is None:
                    return False, n - 1, f"the entry after entry {seq} is missing"
                if after[0] != e["hash"]:
                    return False, n - 1, f"entry {seq + 1} does not follow entry {seq}"
        return True, len(entries), ""


DIGEST_LEAVES_OUT = ("session_id", "anchor_id")  # filled in by the scanner when an event lacks them


def event_digest(ev: EventBase) -> str:
    """The event's content as sent (what tells a retry from another event under the same id). The
    session and host are left out: the scanner fills them in when missing, and service-mode
    workers store events after that; an id reused with only those changed is taken as a retry."""
    content = msgspec.to_builtins(ev)
    for name in DIGEST_LEAVES_OUT:
        content.pop(name, None)
    return hashlib.sha256(msgspec.json.encode(content, order="sorted")).hexdigest()[:32]


def entry_hash(prev: str, seq: int, ts: int, tenant: str, actor: str, action: str, subject: str, detail: str) -> str:
    canonical = json.dumps([prev, seq, ts, tenant, actor, action, subject, detail], ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def open_store(url: str | None) -> ServiceStore:
    """The embedded store (a DuckDB file, or memory when `url` is None; keys in SQLite beside it) or
    PostgreSQL (`postgresql://...`, keys in it too)."""
    db = open_database(url)
    if isinstance(db, PostgresDatabase):
        return ServiceStore(db, SqlKeyStore(db))
    assert isinstance(db, DuckDatabase)
    keys_path = ":memory:" if url is None else Path(url.removeprefix("duckdb://")).with_suffix(".keys.sqlite")
    return ServiceStore(db, SqliteKeyStore(keys_path))


def open_keys(url: str | None) -> KeyStore:
    """Only the key store: what `clearlive keys create` needs, usable while the server runs."""
    if url is not None and url.startswith(("postgresql://", "postgres://")):
        return SqlKeyStore(PostgresDatabase(url))
    path = Path((url or DEFAULT_DB).removeprefix("duckdb://")).with_suffix(".keys.sqlite")
    return SqliteKeyStore(path)


DEFAULT_DB = "clearlive-service.duckdb"
