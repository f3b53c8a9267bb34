"""Accepted events stored before processing: events.seq and events.done.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from clearlive.serve.schema import DDL_V2

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    for stmt in DDL_V2:
        op.execute(stmt)
    op.execute("UPDATE service_meta SET value = '2' WHERE key = 'schema_version'")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS events_pending")
    op.execute("ALTER TABLE events DROP COLUMN IF EXISTS done")
    op.execute("ALTER TABLE events DROP COLUMN IF EXISTS seq")
    op.execute("DROP SEQUENCE IF EXISTS event_seq")
