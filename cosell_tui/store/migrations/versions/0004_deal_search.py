"""Deal search for the command palette: an FTS5 trigram index of deal and customer names (R-UI-6)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

from cosell_tui.store import search

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite with FTS5's trigram tokenizer (3.34+) only: PostgreSQL (a later issue) and an
    # older SQLite search with a plain LIKE instead. Opening the database with an SQLite that
    # has it builds the index then (search.heal).
    if op.get_bind().dialect.name != "sqlite" or not search.fts5_trigram_available():
        return
    for statement in search.sqlite_search_ddl():
        op.execute(statement)
    for statement in search.sqlite_search_fill():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # an SQLite without FTS5 cannot drop the FTS5 table: it stays, unused
    for statement in search.sqlite_search_drop(with_index=search.fts5_trigram_available()):
        op.execute(statement)
