"""The app's clock, light enough to import before the first frame (issue 6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A settable clock: `--today` freezes it at 09:00 UTC (demos, snapshots, expiry)."""

    at: datetime

    @classmethod
    def on(cls, day: date) -> FixedClock:
        return cls(datetime.combine(day, time(9, 0), tzinfo=UTC))

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta
