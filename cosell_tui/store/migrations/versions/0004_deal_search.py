"""Deal search for the command palette: an FTS5 trigram index of deal and customer names (R-UI-6)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

from cosell_tui.store.search import sqlite_search_ddl, sqlite_search_drop, sqlite_search_fill

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite only: PostgreSQL (a later issue) searches with a plain LIKE instead.
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in sqlite_search_ddl():
        op.execute(statement)
    for statement in sqlite_search_fill():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in sqlite_search_drop():
        op.execute(statement)
