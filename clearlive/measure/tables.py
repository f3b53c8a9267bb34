"""Commerce tables for scoring: events (from any reader) gathered into columns, one table per kind.

Scoring is relational (counts per shop, per host, per category over time windows), so the events
become Arrow tables that DuckDB or Spark query with the same SQL. Every timestamp is epoch
milliseconds (`ts`), which keeps the SQL portable between engines.

Orders often lack their shop or host: a room's order belongs to the shop and host of the session
running in that room, and a sku's shop is the shop that listed it. Those links are filled in here,
as the events stream past in time order per room.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from clearlive.model.events import (
    Cancellation,
    Comment,
    Complaint,
    Enter,
    EventBase,
    Follow,
    Gift,
    Like,
    Order,
    Product,
    Refund,
    Review,
    RoomStats,
    ServiceChat,
    SessionEnd,
    SessionStart,
    Share,
    Shipment,
    Utterance,
    parse_ts,
)
from clearlive.model.findings import Finding

S, N, F = pa.string(), pa.int64(), pa.float64()  # text, integer, real

SCHEMAS: dict[str, pa.Schema] = {
    "orders": pa.schema(
        [
            ("order_id", S),
            ("user_id", S),
            ("sku", S),
            ("qty", N),
            ("amount", F),
            ("room_id", S),
            ("session_id", S),
            ("anchor_id", S),
            ("shop_id", S),
            ("ts", N),
            ("promised_ts", N),
        ]
    ),
    # an outcome's shop_id is the seller it concerns in a multi-seller order (null: every seller of it)
    "refunds": pa.schema([("order_id", S), ("shop_id", S), ("reason", S), ("ts", N)]),
    "reviews": pa.schema([("order_id", S), ("shop_id", S), ("rating", N), ("text", S), ("ts", N)]),
    "complaints": pa.schema([("order_id", S), ("shop_id", S), ("reason", S), ("text", S), ("ts", N)]),
    "shipments": pa.schema([("order_id", S), ("shop_id", S), ("status", S), ("promised_ts", N), ("ts", N)]),
    "cancellations": pa.schema([("order_id", S), ("shop_id", S), ("reason", S), ("by", S), ("ts", N)]),
    "service_chats": pa.schema([("user_id", S), ("order_id", S), ("shop_id", S), ("first_response_s", F), ("ts", N)]),
    "products": pa.schema(
        [("sku", S), ("category", S), ("room_id", S), ("session_id", S), ("anchor_id", S), ("shop_id", S), ("ts", N)]
    ),
    "sessions": pa.schema(
        [
            ("room_id", S),
            ("session_id", S),
            ("anchor_id", S),
            ("shop_id", S),
            ("start_ts", N),
            ("end_ts", N),
            ("peak_online", N),
        ]
    ),
    # a viewer taking part in a session (entered, chatted, liked, ...): for returning viewers
    "visits": pa.schema([("anchor_id", S), ("session_id", S), ("user_id", S), ("ts", N)]),
    # ClearLive findings (from a scan, a findings file or the store), for content honesty
    "findings": pa.schema(
        [
            ("id", S),
            ("room_id", S),
            ("session_id", S),
            ("anchor_id", S),
            ("rule_id", S),
            ("category", S),
            ("severity", S),
            ("ts", N),
        ]
    ),
    # speech and chat, for the in-room service analysis (questions and answers)
    "talk": pa.schema(
        [("room_id", S), ("session_id", S), ("anchor_id", S), ("kind", S), ("user_id", S), ("text", S), ("ts", N)]
    ),
}
TABLES = tuple(SCHEMAS)
_VISIT_TYPES = (Enter, Comment, Like, Follow, Share, Gift)


@dataclass
class _Session:
    room_id: str
    session_id: str
    anchor_id: str | None
    shop_id: str | None
    start_ts: int
    end_ts: int
    peak_online: int = 0


@dataclass
class CommerceTables:
    """Columns gathered from events; `tables()` gives Arrow tables with the SCHEMAS above."""

    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=lambda: {name: [] for name in TABLES})
    _sessions: dict[tuple[str, str], _Session] = field(default_factory=dict)
    _current: dict[str, _Session] = field(default_factory=dict)  # room -> its latest session
    _sku_shop: dict[str, str] = field(default_factory=dict)
    _order_shop: dict[str, str] = field(default_factory=dict)

    def add_all(self, events: Iterable[EventBase]) -> CommerceTables:
        for ev in events:
            self.add(ev)
        return self

    def add(self, ev: EventBase) -> None:
        ts: int = ev.ts
        session = self._session_of(ev, ts)
        anchor = ev.anchor_id or (session.anchor_id if session else None)
        shop = ev.shop_id or (session.shop_id if session else None)
        sid = session.session_id if session else ev.session_id
        rows = self.rows
        if isinstance(ev, Order):
            shop = ev.shop_id or self._sku_shop.get(ev.sku) or shop
            if shop:
                self._order_shop[ev.order_id] = shop
            rows["orders"].append(
                (
                    ev.order_id,
                    ev.user_id,
                    ev.sku,
                    ev.qty,
                    ev.amount,
                    ev.room_id,
                    sid,
                    anchor,
                    shop,
                    ts,
                    ev.promised_delivery,
                )
            )
        # outcomes name a seller only when the event itself does: the room's shop is not the seller
        # of every order it mentions
        elif isinstance(ev, Refund):
            rows["refunds"].append((ev.order_id, ev.shop_id, ev.reason, ts))
        elif isinstance(ev, Review):
            rows["reviews"].append((ev.order_id, ev.shop_id, ev.rating, ev.text, ts))
        elif isinstance(ev, Complaint):
            rows["complaints"].append((ev.order_id, ev.shop_id, ev.reason, ev.text, ts))
        elif isinstance(ev, Shipment):
            rows["shipments"].append((ev.order_id, ev.shop_id, ev.status, ev.promised_delivery, ts))
        elif isinstance(ev, Cancellation):
            rows["cancellations"].append((ev.order_id, ev.shop_id, ev.reason, ev.by, ts))
        elif isinstance(ev, ServiceChat):
            chat_shop = ev.shop_id or (self._order_shop.get(ev.order_id) if ev.order_id else None) or shop
            rows["service_chats"].append((ev.user_id, ev.order_id, chat_shop, ev.first_response_s, ts))
        elif isinstance(ev, Product):
            if shop:
                self._sku_shop.setdefault(ev.sku, shop)
            rows["products"].append((ev.sku, ev.category, ev.room_id, sid, anchor, shop, ts))
        elif isinstance(ev, RoomStats):
            if session is not None:
                session.peak_online = max(session.peak_online, ev.online)
        elif isinstance(ev, Utterance) or isinstance(ev, Comment):
            kind = "host" if isinstance(ev, Utterance) and (ev.speaker or "host") == "host" else "chat"
            if isinstance(ev, Utterance) and kind == "chat":
                kind = "guest"
            user = ev.user_id if isinstance(ev, Comment) and not ev.anonymous else None
            rows["talk"].append((ev.room_id, sid, anchor, kind, user, ev.text, ts))
        if isinstance(ev, _VISIT_TYPES) and anchor and sid and not ev.anonymous:  # masked viewers: no one to count
            rows["visits"].append((anchor, sid, ev.user_id, ts))

    def _session_of(self, ev: EventBase, ts: int) -> _Session | None:
        room = ev.room_id
        if isinstance(ev, SessionStart) or (ev.session_id and (room, ev.session_id) not in self._sessions):
            sid = ev.session_id or f"{room}@{ts}"
            s = self._sessions.get((room, sid))
            if s is None:
                s = _Session(room, sid, ev.anchor_id, ev.shop_id, ts, ts)
                self._sessions[(room, sid)] = s
            self._current[room] = s
        s = self._sessions.get((room, ev.session_id)) if ev.session_id else self._current.get(room)
        if s is None:
            return None
        s.anchor_id = s.anchor_id or ev.anchor_id
        s.shop_id = s.shop_id or ev.shop_id
        s.start_ts, s.end_ts = min(s.start_ts, ts), max(s.end_ts, ts)
        if isinstance(ev, SessionEnd):
            self._current.pop(room, None)
        return s

    def add_findings(self, findings: Iterable[Finding]) -> CommerceTables:
        for f in findings:
            ts = f.ts_ms or parse_ts(f.ts)
            self.rows["findings"].append(
                (f.id, f.room_id, f.session_id, f.anchor_id, f.rule_id, f.category, f.severity, ts)
            )
        return self

    def tables(self) -> dict[str, pa.Table]:
        self.rows["sessions"] = [
            (s.room_id, s.session_id, s.anchor_id, s.shop_id, s.start_ts, s.end_ts, s.peak_online)
            for s in self._sessions.values()
        ]
        return {name: _table(self.rows[name], schema) for name, schema in SCHEMAS.items()}


TIME_COLUMN = {"sessions": "start_ts"}  # every other table's time is `ts`


def before(tables: dict[str, pa.Table], as_of_ms: int) -> dict[str, pa.Table]:
    """The tables as they stood at `as_of_ms`: every row dated at or after it is left out (a review
    written after the as-of date of an order placed before it included), so a score as of a date
    is the score that could have been computed on that date."""
    import pyarrow.compute as pc

    return {name: t.filter(pc.less(t[TIME_COLUMN.get(name, "ts")], as_of_ms)) for name, t in tables.items()}


def _table(rows: list[tuple[Any, ...]], schema: pa.Schema) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema.names]
    return pa.table([pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)], schema=schema)
