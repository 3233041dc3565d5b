"""Alembic environment for the ledger; always run through ledgersync._ledger.database."""

from __future__ import annotations

from alembic import context

from ledgersync._ledger.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds tables instead
)
with context.begin_transaction():
    context.run_migrations()
