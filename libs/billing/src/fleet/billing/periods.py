"""Billing periods: calendar months in UTC, half-open ``[start, end)``. A period's key
(``2026-11``) with the trader's id is the identity of its close, so a close is appended
once per trader and period whoever runs the closer and however often.

Tests (and demonstrations) cannot wait a month: :class:`PeriodScheme` also cuts time into
fixed lengths counted from the Unix epoch (:class:`FixedPeriod`, key
``2026-12-03-224000``: its start)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, Field


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


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, order=True)
class FixedPeriod:
    """``length`` from ``start`` (a multiple of ``length`` after the epoch), in UTC."""

    start: datetime
    length: timedelta

    @property
    def key(self) -> str:
        return self.start.strftime("%Y-%m-%d-%H%M%S")

    @property
    def starts_at(self) -> datetime:
        return self.start

    @property
    def ends_at(self) -> datetime:
        return self.start + self.length

    def next(self) -> FixedPeriod:
        return FixedPeriod(self.ends_at, self.length)

    def label(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M:%S} to {self.ends_at:%H:%M:%S} UTC"


Period = BillingPeriod | FixedPeriod


@dataclass(frozen=True)
class PeriodScheme:
    """How time is cut into periods: calendar months (``length`` ``None``, the default)
    or fixed lengths from the epoch (tests)."""

    length: timedelta | None = None

    @classmethod
    def parse(cls, text: str) -> PeriodScheme:
        """``monthly`` or a number of seconds (at least 1); ``ValueError`` otherwise."""
        if text.strip().lower() == "monthly":
            return cls()
        try:
            seconds = int(text)
        except ValueError:
            raise ValueError(
                f"a period is 'monthly' or a number of seconds, not {text!r}"
            ) from None
        if seconds < 1:
            raise ValueError("a period lasts at least one second")
        return cls(timedelta(seconds=seconds))

    def of(self, moment: datetime | date) -> Period:
        """The period ``moment`` (UTC; a date: its midnight) falls in."""
        if self.length is None:
            return month_of(moment)
        if not isinstance(moment, datetime):
            moment = datetime.combine(moment, datetime.min.time(), UTC)
        elapsed = moment.astimezone(UTC) - _EPOCH
        return FixedPeriod(_EPOCH + (elapsed // self.length) * self.length, self.length)

    def ended(self, start: date | datetime, now: datetime) -> Iterator[Period]:
        """The periods from the one holding ``start`` that have ended by ``now``."""
        period = self.of(start)
        while period.ends_at <= now:
            yield period
            period = period.next()


MONTHLY = PeriodScheme()


def _valid_scheme(text: str) -> str:
    PeriodScheme.parse(text)  # a ValueError names the setting
    return text


# a setting naming a scheme (``FLEET_BILLING_PERIOD`` of auth and the gateway)
PeriodSetting = Annotated[
    str,
    AfterValidator(_valid_scheme),
    Field(description="Fee periods: 'monthly' (calendar months, UTC) or a length in seconds."),
]
