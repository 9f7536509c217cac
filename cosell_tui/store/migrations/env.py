"""Alembic environment: runs on the connection that cosell-tui hands it (no alembic.ini)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from cosell_tui.store.schema import Base

config = context.config
connection: Connection | None = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when run from the alembic command line
    raise SystemExit("Run migrations through cosell-tui; it opens the database and backs it up.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
