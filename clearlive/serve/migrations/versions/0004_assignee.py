"""Findings can be assigned to a reviewer: findings.assignee (see schema.DDL_V4).

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from clearlive.serve.schema import DDL_V4

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    for stmt in DDL_V4:
        op.execute(stmt)
    op.execute("UPDATE service_meta SET value = '4' WHERE key = 'schema_version'")


def downgrade() -> None:
    op.execute("ALTER TABLE findings DROP COLUMN IF EXISTS assignee")
    op.execute("UPDATE service_meta SET value = '3' WHERE key = 'schema_version'")
