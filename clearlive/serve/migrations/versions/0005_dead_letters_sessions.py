"""What the workers gave up on (dead_letters) and the dashboard's server-side sessions (see
schema.DDL_V5).

Revision ID: 0005
Revises: 0004
"""

from alembic import op

from clearlive.serve.schema import DDL_V5

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    for stmt in DDL_V5:
        op.execute(stmt)
    op.execute("UPDATE service_meta SET value = '5' WHERE key = 'schema_version'")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS sessions")
    op.execute("DROP TABLE IF EXISTS dead_letters")
    op.execute("DROP SEQUENCE IF EXISTS dead_letter_seq")
    op.execute("UPDATE service_meta SET value = '4' WHERE key = 'schema_version'")
