"""Alembic environment for the service schema: online migrations only, against the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, text

# Every process that opens the store migrates it (serve, its workers, `clearlive keys create`), and
# they may start together on a fresh database: one at a time, or two create alembic_version at once.
MIGRATION_LOCK = 7_204_312

url = context.config.get_main_option("sqlalchemy.url")
engine = create_engine(url)
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        # held to the end of this transaction; the next process then finds the schema up to date
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
        context.run_migrations()
engine.dispose()
