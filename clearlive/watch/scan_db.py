"""The embedded store: events, findings and session summaries in one DuckDB file.

Writes are idempotent: events and findings are keyed by their deterministic ids and inserted
with INSERT OR IGNORE, and session summaries are recomputed from the stored rows, so scanning
the same input twice leaves the database as it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import msgspec
import pyarrow as pa

from clearlive.model.events import EventBase, RoomStats, Utterance, event_type, scannable_text
from clearlive.model.findings import Finding

SCHEMA_VERSION = 1
BATCH = 20_000

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS events (
    id VARCHAR PRIMARY KEY, room_id VARCHAR NOT NULL, session_id VARCHAR, anchor_id VARCHAR,
    shop_id VARCHAR, type VARCHAR NOT NULL, ts_ms BIGINT NOT NULL, user_id VARCHAR, speaker VARCHAR,
    text VARCHAR, online BIGINT, start_s DOUBLE, payload VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS findings (
    id VARCHAR PRIMARY KEY, rule_id VARCHAR NOT NULL, category VARCHAR NOT NULL, severity VARCHAR NOT NULL,
    confidence DOUBLE, room_id VARCHAR NOT NULL, session_id VARCHAR, anchor_id VARCHAR, ts_ms BIGINT NOT NULL,
    event_id VARCHAR, quote VARCHAR, quote_start INTEGER, quote_end INTEGER, context VARCHAR,
    message VARCHAR, suggestion VARCHAR, title VARCHAR, speaker VARCHAR, event_type VARCHAR,
    stream_offset_s DOUBLE, record VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS scores (
    entity_type VARCHAR NOT NULL, entity_id VARCHAR NOT NULL, window_start VARCHAR NOT NULL,
    window_end VARCHAR NOT NULL, score DOUBLE, score_low DOUBLE, score_high DOUBLE, n_orders BIGINT,
    category VARCHAR, record VARCHAR NOT NULL,
    PRIMARY KEY (entity_type, entity_id, window_start, window_end)
);
CREATE TABLE IF NOT EXISTS sessions (
    room_id VARCHAR NOT NULL, session_id VARCHAR NOT NULL, anchor_id VARCHAR, shop_id VARCHAR, title VARCHAR,
    first_ts_ms BIGINT, last_ts_ms BIGINT, n_events BIGINT, n_utterances BIGINT, n_comments BIGINT,
    n_chatters BIGINT, peak_online BIGINT, n_findings BIGINT, by_category VARCHAR, by_severity VARCHAR,
    PRIMARY KEY (room_id, session_id)
);
"""

_EVENT_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("room_id", pa.string()),
        ("session_id", pa.string()),
        ("anchor_id", pa.string()),
        ("shop_id", pa.string()),
        ("type", pa.string()),
        ("ts_ms", pa.int64()),
        ("user_id", pa.string()),
        ("speaker", pa.string()),
        ("text", pa.string()),
        ("online", pa.int64()),
        ("start_s", pa.float64()),
        ("payload", pa.string()),
    ]
)
_FINDING_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("rule_id", pa.string()),
        ("category", pa.string()),
        ("severity", pa.string()),
        ("confidence", pa.float64()),
        ("room_id", pa.string()),
        ("session_id", pa.string()),
        ("anchor_id", pa.string()),
        ("ts_ms", pa.int64()),
        ("event_id", pa.string()),
        ("quote", pa.string()),
        ("quote_start", pa.int32()),
        ("quote_end", pa.int32()),
        ("context", pa.string()),
        ("message", pa.string()),
        ("suggestion", pa.string()),
        ("title", pa.string()),
        ("speaker", pa.string()),
        ("event_type", pa.string()),
        ("stream_offset_s", pa.float64()),
        ("record", pa.string()),
    ]
)


class Store:
    """A DuckDB file holding scans. Use as a context manager, or call close()."""

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = Path(path)
        self.con = duckdb.connect(str(self.path), read_only=read_only)
        if not read_only:
            self.con.execute(_DDL)
            self.con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        self._events: list[tuple[Any, ...]] = []
        self._findings: list[tuple[Any, ...]] = []
        self._touched: set[tuple[str, str]] = set()
        self._encode = msgspec.json.Encoder().encode

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_event(self, ev: EventBase) -> None:
        self._events.append(
            (
                ev.id,
                ev.room_id,
                ev.session_id,
                ev.anchor_id,
                ev.shop_id,
                event_type(ev),
                ev.ts,
                None if getattr(ev, "anonymous", False) else getattr(ev, "user_id", None),  # masked: no chatter
                ev.speaker if isinstance(ev, Utterance) else None,
                scannable_text(ev),
                ev.online if isinstance(ev, RoomStats) else None,
                ev.start if isinstance(ev, Utterance) else None,
                self._encode(ev).decode(),
            )
        )
        self._touched.add((ev.room_id, ev.session_id or ""))
        if len(self._events) >= BATCH:
            self._flush_events()

    def add_findings(self, findings: Iterable[Finding]) -> None:
        for f in findings:
            e = f.evidence
            self._findings.append(
                (
                    f.id,
                    f.rule_id,
                    f.category,
                    f.severity,
                    f.confidence,
                    f.room_id,
                    f.session_id,
                    f.anchor_id,
                    f.ts_ms,
                    f.event_ids[0] if f.event_ids else None,
                    e.text,
                    e.start,
                    e.end,
                    e.context,
                    f.message,
                    f.suggestion,
                    f.title,
                    f.speaker,
                    f.event_type,
                    f.stream_offset_s,
                    self._encode(f).decode(),
                )
            )
            self._touched.add((f.room_id, f.session_id or ""))
        if len(self._findings) >= BATCH:
            self._flush_findings()

    def _insert(self, table: str, rows: list[tuple[Any, ...]], schema: pa.Schema) -> None:
        if not rows:
            return
        columns = list(zip(*rows, strict=True))
        batch = pa.Table.from_arrays(
            [pa.array(c, type=t) for c, t in zip(columns, schema.types, strict=True)], schema=schema
        )
        self.con.register("_batch", batch)
        try:
            self.con.execute(f"INSERT OR IGNORE INTO {table} SELECT * FROM _batch")
        finally:
            self.con.unregister("_batch")
        rows.clear()

    def _flush_events(self) -> None:
        self._insert("events", self._events, _EVENT_SCHEMA)

    def _flush_findings(self) -> None:
        self._insert("findings", self._findings, _FINDING_SCHEMA)

    def flush(self) -> None:
        self._flush_events()
        self._flush_findings()
        if self._touched:
            self._recompute_sessions(self._touched)
            self._touched.clear()

    def _recompute_sessions(self, keys: set[tuple[str, str]]) -> None:
        """Session summaries are derived from stored rows, so they stay right across rescans."""
        self.con.execute("CREATE TEMP TABLE IF NOT EXISTS _keys (room_id VARCHAR, session_id VARCHAR)")
        self.con.execute("DELETE FROM _keys")
        self.con.executemany("INSERT INTO _keys VALUES (?, ?)", sorted(keys))
        self.con.execute("""
            DELETE FROM sessions WHERE (room_id, session_id) IN (SELECT room_id, session_id FROM _keys);
            INSERT INTO sessions
            WITH ev AS (
                SELECT e.* REPLACE (coalesce(e.session_id, '') AS session_id) FROM events e
                JOIN _keys k ON e.room_id = k.room_id AND coalesce(e.session_id, '') = k.session_id
            ), fi AS (
                SELECT f.* REPLACE (coalesce(f.session_id, '') AS session_id) FROM findings f
                JOIN _keys k ON f.room_id = k.room_id AND coalesce(f.session_id, '') = k.session_id
            ), ev_agg AS (
                SELECT room_id, session_id, max(anchor_id) AS anchor_id, max(shop_id) AS shop_id,
                       max(text) FILTER (WHERE type = 'session_start') AS title,
                       min(ts_ms) AS first_ts_ms, max(ts_ms) AS last_ts_ms, count(*) AS n_events,
                       count(*) FILTER (WHERE type = 'utterance') AS n_utterances,
                       count(*) FILTER (WHERE type = 'comment') AS n_comments,
                       count(DISTINCT user_id) FILTER (WHERE type = 'comment') AS n_chatters,
                       max(online) AS peak_online
                FROM ev GROUP BY ALL
            ), cat AS (
                SELECT room_id, session_id, category, count(*) AS n FROM fi GROUP BY ALL
            ), sev AS (
                SELECT room_id, session_id, severity, count(*) AS n FROM fi GROUP BY ALL
            )
            SELECT a.room_id, a.session_id, a.anchor_id, a.shop_id, a.title, a.first_ts_ms, a.last_ts_ms,
                   a.n_events, a.n_utterances, a.n_comments, a.n_chatters, a.peak_online,
                   coalesce((SELECT sum(n) FROM cat c WHERE c.room_id = a.room_id AND c.session_id = a.session_id), 0),
                   coalesce((SELECT to_json(map(list(category ORDER BY category), list(n ORDER BY category)))
                             FROM cat c WHERE c.room_id = a.room_id AND c.session_id = a.session_id), '{}'),
                   coalesce((SELECT to_json(map(list(severity ORDER BY severity), list(n ORDER BY severity)))
                             FROM sev s WHERE s.room_id = a.room_id AND s.session_id = a.session_id), '{}')
            FROM ev_agg a;
        """)

    def add_scores(self, scores: Iterable[Any]) -> int:
        """Store score records (clearlive.measure.EntityScore); scoring the same window again replaces them."""
        rows = [
            (
                s.entity_type,
                s.entity_id,
                s.window["start"],
                s.window["end"],
                s.score,
                s.interval[0] if s.interval else None,
                s.interval[1] if s.interval else None,
                s.n_orders,
                s.category,
                self._encode(s).decode(),
            )
            for s in scores
        ]
        self.con.executemany("INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return len(rows)

    def counts(self) -> dict[str, int]:
        return {
            t: (self.con.execute(f"SELECT count(*) FROM {t}").fetchone() or (0,))[0]
            for t in ("events", "findings", "sessions")
        }

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.con.close()
