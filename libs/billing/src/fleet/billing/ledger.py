"""A trader's fee periods from his account's history: valuations (equity as BingX
reported it) and transfers (deposits > 0, withdrawals < 0; BingX income ``TRANSFER``).
Pure: whoever closes periods (or estimates the running one) hands it the history.

A period's start equity is the last valuation at or before its start (or the first in
it, for the period the fee starts in); its end equity the last valuation before its end;
its flows the transfers inside it. A period without a valuation is not closed yet.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from fleet.billing.fees import FeeTerms, PeriodClose, PeriodFlows, carried_mark, close_period
from fleet.billing.periods import MONTHLY, Period, PeriodScheme

ZERO = Decimal(0)


@dataclass(frozen=True)
class Valuation:
    at: datetime
    equity: Decimal


@dataclass(frozen=True)
class Transfer:
    at: datetime
    amount: Decimal  # > 0 deposit, < 0 withdrawal


@dataclass(frozen=True)
class AccountHistory:
    """Valuations and transfers, each sorted by time."""

    valuations: Sequence[Valuation]
    transfers: Sequence[Transfer] = ()

    def equity_at(self, moment: datetime) -> Decimal | None:
        """The last equity reported before ``moment``."""
        index = bisect_left([v.at for v in self.valuations], moment)
        return self.valuations[index - 1].equity if index else None

    def first_equity_from(self, moment: datetime) -> Decimal | None:
        return next((v.equity for v in self.valuations if v.at >= moment), None)

    def flows(self, start: datetime, end: datetime) -> PeriodFlows:
        moved = [t.amount for t in self.transfers if start <= t.at < end]
        return PeriodFlows(
            deposits=sum((a for a in moved if a > 0), ZERO),
            withdrawals=-sum((a for a in moved if a < 0), ZERO),
        )


def fee_start(history: AccountHistory, starts_on: date | datetime) -> datetime | None:
    """When the fee's accounting begins: its start date (UTC midnight), or the account's
    first valuation if that is later (``None``: no valuation yet)."""
    if not history.valuations:
        return None
    if not isinstance(starts_on, datetime):
        starts_on = datetime.combine(starts_on, datetime.min.time(), UTC)
    return max(starts_on, history.valuations[0].at)


def fee_periods(
    history: AccountHistory,
    terms: FeeTerms,
    starts_on: date | datetime,
    now: datetime,
    mark: Decimal | None = None,
    scheme: PeriodScheme = MONTHLY,
) -> Iterator[PeriodClose]:
    """Every period from the fee's start (:func:`fee_start`) up to ``now``'s, in order;
    the last one is the running estimate when ``now`` is inside it. ``mark``: the
    high-water mark before the first of them (``None``, or zero: that period's start
    equity, see :func:`carried_mark`)."""
    mark = None if mark is None else carried_mark(mark)
    begin = fee_start(history, starts_on)
    if begin is None:
        return
    period = scheme.of(begin)
    while period.starts_at <= now:
        close = close_in(history, period, begin, min(now, period.ends_at), mark, terms)
        if close is None:
            return
        yield close
        mark, period = carried_mark(close.mark_after), period.next()


def close_in(
    history: AccountHistory,
    period: Period,
    begin: datetime,
    end: datetime,
    mark: Decimal | None,
    terms: FeeTerms,
) -> PeriodClose | None:
    """``period`` closed at ``end`` (its end, or now for an estimate), counting from
    ``begin`` when the fee starts inside it; ``None`` without a valuation before ``end``."""
    begin = max(period.starts_at, begin)
    start_equity = history.equity_at(begin)
    if start_equity is None:
        start_equity = history.first_equity_from(begin)
    end_equity = history.equity_at(end)
    if start_equity is None or end_equity is None:
        return None
    flows = history.flows(begin, end)
    return close_period(period, start_equity, end_equity, flows, mark, terms)
