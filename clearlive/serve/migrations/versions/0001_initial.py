"""The first service schema: keys, rooms, findings, events, reviews, the audit log.

Revision ID: 0001
Revises:
"""

from alembic import op

from clearlive.serve.schema import DDL_V1, SCHEMA_VERSION

revision = "0001"
down_revision = None


def upgrade() -> None:
    for stmt in DDL_V1:
        op.execute(stmt)
    op.execute(f"INSERT INTO service_meta VALUES ('schema_version', '{SCHEMA_VERSION}') ON CONFLICT (key) DO NOTHING")


def downgrade() -> None:
    for table in ("service_meta", "audit_log", "reviews", "events", "findings", "rooms", "api_keys"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
    op.execute("DROP SEQUENCE IF EXISTS finding_seq")
