"""Many deals at once (the demo's `--deals N`, `import`): rows written with executemany.

SQLAlchemy's per-value processing was most of the time of a large load, so the rows go
straight to the driver, as SQLite stores them (`stored` for date-times). Every referral goes
in active with its data and the closing UPDATE comes last, so the R-STORE-1 triggers see the
same order of events as the services make (SPEC §3: a terminal deal is built active, then
closed); registrations, exempt from R-STORE-1, go in after the closing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from cosell_tui.store.database import Database
from cosell_tui.store.schema import (
    ActivityRow,
    EngagementRow,
    InvitationRow,
    ReferralRow,
    ReferralSolutionRow,
    RegistrationRow,
    StageMarkRow,
    TeamMemberRow,
)


def stored(moment: datetime) -> str:
    """A UTC datetime as SQLAlchemy stores it in SQLite, for rows written past it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _table(row_class: type[Any]) -> Table:
    return cast(Table, row_class.__table__)


@dataclass
class Batch:
    """Rows of many deals, written together."""

    engagements: list[dict[str, Any]] = field(default_factory=list)
    referrals: list[dict[str, Any]] = field(default_factory=list)
    team: list[dict[str, Any]] = field(default_factory=list)
    solutions: list[dict[str, Any]] = field(default_factory=list)
    marks: list[dict[str, Any]] = field(default_factory=list)
    invitations: list[dict[str, Any]] = field(default_factory=list)
    activity: list[dict[str, Any]] = field(default_factory=list)
    closing: list[dict[str, Any]] = field(default_factory=list)
    registrations: list[dict[str, Any]] = field(default_factory=list)
    # engagement id → deal type, for engagements that gained a party (R-DEAL-3)
    deal_types: dict[str, str] = field(default_factory=dict)

    def write(self, db: Database) -> None:
        with db.transaction() as session:
            self.write_in(session)

    def write_in(self, session: Session) -> None:
        """Into the session's transaction (after what the session already flushed)."""
        session.flush()
        cursor = session.connection().connection.driver_connection
        assert cursor is not None
        cursor.execute("PRAGMA cache_size = -262144")  # 256 MiB: indexes stay in memory
        try:
            for row_class, rows in (
                (EngagementRow, self.engagements),
                (ReferralRow, self.referrals),
                (TeamMemberRow, self.team),
                (ReferralSolutionRow, self.solutions),
                (StageMarkRow, self.marks),
                (InvitationRow, self.invitations),
                (ActivityRow, self.activity),
            ):
                self._insert(cursor, row_class, rows)
            cursor.executemany(
                "UPDATE engagements SET deal_type = ? WHERE id = ?",
                [(kind, engagement) for engagement, kind in self.deal_types.items()],
            )
            cursor.executemany(
                "UPDATE referrals SET status = ?, stage = ?, closed_at = ?, closing_reason = ?, "
                "closing_notes = ?, version = version + 1 WHERE id = ?",
                [
                    (
                        c["status"],
                        c["stage"],
                        c["closed_at"],
                        c["reason"],
                        c.get("notes"),
                        c["rid"],
                    )
                    for c in self.closing
                ],
            )
            self._insert(cursor, RegistrationRow, self.registrations)
        finally:
            cursor.execute("PRAGMA cache_size = -512")  # the pool's usual size (issue 6)

    @staticmethod
    def _insert(cursor: Any, row_class: type[Any], rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        columns = list(rows[0])
        cursor.executemany(
            f"INSERT INTO {_table(row_class).name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})",
            [tuple(row[c] for c in columns) for row in rows],
        )
