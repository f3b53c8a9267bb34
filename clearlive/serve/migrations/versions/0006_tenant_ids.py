"""Identity per tenant: events, findings and reviews keyed by (tenant, id); events.digest (see
schema.DDL_V6). Existing rows are moved as they are.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

from clearlive.serve.schema import DDL_V6

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    for stmt in DDL_V6:
        op.execute(stmt)
    op.execute("UPDATE service_meta SET value = '6' WHERE key = 'schema_version'")


def downgrade() -> None:
    # Only possible while no two tenants share an id: the primary key goes back to the id alone.
    for table in ("events", "findings"):
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_v5_pkey")
        op.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (id)")
    op.execute("ALTER TABLE events DROP COLUMN IF EXISTS digest")
    op.execute("ALTER TABLE reviews DROP CONSTRAINT reviews_v5_pkey")
    op.execute("ALTER TABLE reviews DROP COLUMN IF EXISTS id")
    op.execute("UPDATE service_meta SET value = '5' WHERE key = 'schema_version'")
