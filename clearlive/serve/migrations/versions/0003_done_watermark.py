"""Checkpoints cover events up to a watermark (service_meta 'events_done_through'); the per-row
index on events.done goes (see schema.DDL_V3).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from clearlive.serve.schema import DDL_V3

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    for stmt in DDL_V3:
        op.execute(stmt)
    op.execute("UPDATE service_meta SET value = '3' WHERE key = 'schema_version'")


def downgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS events_pending ON events (done, seq)")
    op.execute("UPDATE service_meta SET value = '2' WHERE key = 'schema_version'")
