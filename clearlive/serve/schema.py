"""The service's tables, in SQL that DuckDB (embedded) and PostgreSQL (service mode) both accept.

One list of statements per schema version. Embedded DuckDB applies them directly and records the
version; PostgreSQL gets them through Alembic (clearlive/serve/migrations), whose first revision
runs the same list, so the two never drift apart.
"""

from __future__ import annotations

SCHEMA_VERSION = 6

DDL_V1 = [
    """CREATE TABLE IF NOT EXISTS api_keys (
        key_hash VARCHAR PRIMARY KEY,
        key_prefix VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        tenant VARCHAR NOT NULL,
        created_ms BIGINT NOT NULL,
        revoked BOOLEAN NOT NULL DEFAULT FALSE
    )""",
    """CREATE TABLE IF NOT EXISTS rooms (
        room_id VARCHAR PRIMARY KEY,
        tenant VARCHAR NOT NULL,
        first_ms BIGINT NOT NULL
    )""",
    "CREATE SEQUENCE IF NOT EXISTS finding_seq",
    """CREATE TABLE IF NOT EXISTS findings (
        id VARCHAR PRIMARY KEY,
        seq BIGINT NOT NULL,
        tenant VARCHAR NOT NULL,
        room_id VARCHAR NOT NULL,
        anchor_id VARCHAR,
        severity VARCHAR NOT NULL,
        category VARCHAR NOT NULL,
        rule_id VARCHAR NOT NULL,
        ts_ms BIGINT NOT NULL,
        status VARCHAR NOT NULL,
        record VARCHAR NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS findings_tenant_seq ON findings (tenant, seq)",
    "CREATE INDEX IF NOT EXISTS findings_room ON findings (room_id)",
    """CREATE TABLE IF NOT EXISTS events (
        id VARCHAR PRIMARY KEY,
        tenant VARCHAR NOT NULL,
        room_id VARCHAR NOT NULL,
        type VARCHAR NOT NULL,
        ts_ms BIGINT NOT NULL,
        payload VARCHAR NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS events_room ON events (room_id, ts_ms)",
    """CREATE TABLE IF NOT EXISTS reviews (
        finding_id VARCHAR NOT NULL,
        tenant VARCHAR NOT NULL,
        decision VARCHAR NOT NULL,
        reason VARCHAR,
        reviewer VARCHAR NOT NULL,
        ts_ms BIGINT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS audit_log (
        seq BIGINT PRIMARY KEY,
        ts_ms BIGINT NOT NULL,
        tenant VARCHAR NOT NULL,
        actor VARCHAR NOT NULL,
        action VARCHAR NOT NULL,
        subject VARCHAR NOT NULL,
        detail VARCHAR NOT NULL,
        prev_hash VARCHAR NOT NULL,
        hash VARCHAR NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS service_meta (
        key VARCHAR PRIMARY KEY,
        value VARCHAR NOT NULL
    )""",
]

# Version 2: accepted events are stored before they are processed (embedded mode keeps nothing only
# in memory): `seq` orders them as accepted, `done` marks those covered by a detector checkpoint.
DDL_V2 = [
    "CREATE SEQUENCE IF NOT EXISTS event_seq",
    "ALTER TABLE events ADD COLUMN IF NOT EXISTS seq BIGINT",
    "ALTER TABLE events ADD COLUMN IF NOT EXISTS done BOOLEAN DEFAULT TRUE",
    "CREATE INDEX IF NOT EXISTS events_pending ON events (done, seq)",
]

# Version 3: what a checkpoint covers is one watermark (service_meta 'events_done_through', a seq)
# instead of a flag per row: marking rows done rewrote every row of a DuckDB index on each
# checkpoint, which grew with the store (0.8 s a checkpoint at a million events). The index goes.
DDL_V3 = [
    "DROP INDEX IF EXISTS events_pending",
]

# Version 4: the reviewers' desk assigns findings to a reviewer (NULL: nobody yet).
DDL_V4 = [
    "ALTER TABLE findings ADD COLUMN IF NOT EXISTS assignee VARCHAR",
]

# Version 5: what the workers gave up on (clearlive.watch.scan.worker_core): the event (or finding), the
# error, the lane and the attempts; `resolved_ms` is set when an operator has dealt with it
# (`clearlive dead-letters resolve`). And the dashboard's sessions (clearlive.serve.sessions) in
# the key store's database: a session id's hash, the key it was opened with, its CSRF token and
# when it expires (the cookie holds the signed session id, never the key).
DDL_V5 = [
    "CREATE SEQUENCE IF NOT EXISTS dead_letter_seq",
    """CREATE TABLE IF NOT EXISTS dead_letters (
        seq BIGINT PRIMARY KEY,
        tenant VARCHAR NOT NULL,
        lane VARCHAR NOT NULL,
        event_id VARCHAR NOT NULL,
        room_id VARCHAR NOT NULL,
        stage VARCHAR NOT NULL,
        error VARCHAR NOT NULL,
        attempts INTEGER NOT NULL,
        payload VARCHAR NOT NULL,
        ts_ms BIGINT NOT NULL,
        resolved_ms BIGINT
    )""",
    "CREATE INDEX IF NOT EXISTS dead_letters_tenant ON dead_letters (tenant, seq)",
    """CREATE TABLE IF NOT EXISTS sessions (
        sid_hash VARCHAR PRIMARY KEY,
        key_hash VARCHAR NOT NULL,
        csrf VARCHAR NOT NULL,
        created_ms BIGINT NOT NULL,
        expires_ms BIGINT NOT NULL
    )""",
]

# Version 6 (issue 18): identity is per tenant. Events, findings and reviews are keyed by
# (tenant, id): two tenants may use the same event ids (msg-1, msg-2 ...) and each keeps its own.
# `events.digest` is the hash of the event as it was accepted, so that an id sent again with other
# content is told from a retry (a conflict, reported to the client). Reviews get an id (the audit
# entry that records them). The tables are rebuilt (DuckDB cannot change a primary key in place);
# the same statements run on PostgreSQL through Alembic revision 0006.
DDL_V6 = [
    """CREATE TABLE events_v5 (
        id VARCHAR NOT NULL,
        tenant VARCHAR NOT NULL,
        room_id VARCHAR NOT NULL,
        type VARCHAR NOT NULL,
        ts_ms BIGINT NOT NULL,
        payload VARCHAR NOT NULL,
        seq BIGINT,
        done BOOLEAN DEFAULT TRUE,
        digest VARCHAR,
        PRIMARY KEY (tenant, id)
    )""",
    """INSERT INTO events_v5 (id, tenant, room_id, type, ts_ms, payload, seq, done)
       SELECT id, tenant, room_id, type, ts_ms, payload, seq, done FROM events""",
    "DROP INDEX IF EXISTS events_room",
    "DROP TABLE events",
    "ALTER TABLE events_v5 RENAME TO events",
    "CREATE INDEX IF NOT EXISTS events_room ON events (tenant, room_id, ts_ms)",
    "CREATE INDEX IF NOT EXISTS events_by_seq ON events (seq)",
    """CREATE TABLE findings_v5 (
        id VARCHAR NOT NULL,
        seq BIGINT NOT NULL,
        tenant VARCHAR NOT NULL,
        room_id VARCHAR NOT NULL,
        anchor_id VARCHAR,
        severity VARCHAR NOT NULL,
        category VARCHAR NOT NULL,
        rule_id VARCHAR NOT NULL,
        ts_ms BIGINT NOT NULL,
        status VARCHAR NOT NULL,
        record VARCHAR NOT NULL,
        assignee VARCHAR,
        PRIMARY KEY (tenant, id)
    )""",
    """INSERT INTO findings_v5 (id, seq, tenant, room_id, anchor_id, severity, category, rule_id, ts_ms, status,
                               record, assignee)
       SELECT id, seq, tenant, room_id, anchor_id, severity, category, rule_id, ts_ms, status, record, assignee
       FROM findings""",
    "DROP INDEX IF EXISTS findings_tenant_seq",
    "DROP INDEX IF EXISTS findings_room",
    "DROP TABLE findings",
    "ALTER TABLE findings_v5 RENAME TO findings",
    "CREATE INDEX IF NOT EXISTS findings_tenant_seq ON findings (tenant, seq)",
    "CREATE INDEX IF NOT EXISTS findings_room ON findings (tenant, room_id)",
    """CREATE TABLE reviews_v5 (
        id VARCHAR NOT NULL,
        finding_id VARCHAR NOT NULL,
        tenant VARCHAR NOT NULL,
        decision VARCHAR NOT NULL,
        reason VARCHAR,
        reviewer VARCHAR NOT NULL,
        ts_ms BIGINT NOT NULL,
        PRIMARY KEY (tenant, id)
    )""",
    # reviews written before version 6 had no id: numbered in the order they were stored
    """INSERT INTO reviews_v5 (id, finding_id, tenant, decision, reason, reviewer, ts_ms)
       SELECT 'v4-' || CAST(row_number() OVER () AS VARCHAR), finding_id, tenant, decision, reason, reviewer, ts_ms
       FROM reviews""",
    "DROP TABLE reviews",
    "ALTER TABLE reviews_v5 RENAME TO reviews",
]
