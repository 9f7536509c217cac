"""Deal search for the command palette: an FTS5 trigram index of deal and customer names (R-UI-6)

On PostgreSQL: trigram (pg_trgm) indexes of the case-folded names instead, which serve the same
`casefold(name) LIKE '%…%'` the palette and the list filter run there.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

from cosell_tui.store import search

# pg_trgm ships with Debian's server package and is a trusted extension (PostgreSQL 13+): the
# database's owner may create it. Without it search still works, by a scan.
POSTGRESQL_TRIGRAM_INDEXES = (
    ("ix_referrals_name_trgm", "referrals"),
    ("ix_companies_name_trgm", "companies"),
    ("ix_organizations_name_trgm", "organizations"),
)

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _postgresql_upgrade() -> None:
    bind = op.get_bind()
    available = bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
    ).first()
    if available is None:
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table in POSTGRESQL_TRIGRAM_INDEXES:
        op.execute(f"CREATE INDEX {name} ON {table} USING gin (casefold(name) gin_trgm_ops)")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()
        return
    # SQLite with FTS5's trigram tokenizer (3.34+) only: an older SQLite searches with a plain
    # LIKE instead. Opening the database with an SQLite that has it builds the index then
    # (search.heal).
    if op.get_bind().dialect.name != "sqlite" or not search.fts5_trigram_available():
        return
    for statement in search.sqlite_search_ddl():
        op.execute(statement)
    for statement in search.sqlite_search_fill():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, _ in POSTGRESQL_TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        return  # the extension stays: other schemas may use it
    if op.get_bind().dialect.name != "sqlite":
        return
    # an SQLite without FTS5 cannot drop the FTS5 table: it stays, unused
    for statement in search.sqlite_search_drop(with_index=search.fts5_trigram_available()):
        op.execute(statement)
