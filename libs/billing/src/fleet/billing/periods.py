"""Billing periods: calendar months in UTC, half-open ``[start, end)``. A period's key
(``2026-11``) with the trader's id is the identity of its close, so a close is appended
once per trader and period whoever runs the closer and however often."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime


@dataclass(frozen=True, order=True)
class BillingPeriod:
    """One calendar month in UTC."""

    year: int
    month: int

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def starts_at(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def ends_at(self) -> datetime:
        return self.next().starts_at

    def next(self) -> BillingPeriod:
        if self.month == 12:
            return BillingPeriod(self.year + 1, 1)
        return BillingPeriod(self.year, self.month + 1)

    def label(self) -> str:
        return self.starts_at.strftime("%B %Y")

    @classmethod
    def parse(cls, key: str) -> BillingPeriod:
        """``2026-11`` → the period; ``ValueError`` for anything else."""
        parsed = datetime.strptime(key, "%Y-%m")
        return cls(parsed.year, parsed.month)


def month_of(moment: datetime | date) -> BillingPeriod:
    """The period ``moment`` (UTC) falls in."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC)
    return BillingPeriod(moment.year, moment.month)


def periods_between(start: date, now: datetime) -> Iterator[BillingPeriod]:
    """The periods from the one holding ``start`` that have ended by ``now``, in order."""
    period = month_of(start)
    while period.ends_at <= now:
        yield period
        period = period.next()
