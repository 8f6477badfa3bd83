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
from datetime import date, datetime
from decimal import Decimal

from fleet.billing.fees import FeeTerms, PeriodClose, PeriodFlows, close_period
from fleet.billing.periods import BillingPeriod, month_of

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


def fee_periods(
    history: AccountHistory,
    terms: FeeTerms,
    starts_on: date,
    now: datetime,
    mark: Decimal | None = None,
) -> Iterator[PeriodClose]:
    """Every period from ``starts_on``'s month up to ``now``'s, in order; the last one is
    the running estimate when ``now`` is inside it. ``mark``: the high-water mark before
    the first of them (``None``: that period's start equity)."""
    period = month_of(starts_on)
    while period.starts_at <= now:
        close = _close(history, period, starts_on, min(now, period.ends_at), mark, terms)
        if close is None:
            return
        yield close
        mark, period = close.mark_after, period.next()


def _close(
    history: AccountHistory,
    period: BillingPeriod,
    starts_on: date,
    end: datetime,
    mark: Decimal | None,
    terms: FeeTerms,
) -> PeriodClose | None:
    begin = max(
        period.starts_at, datetime.combine(starts_on, datetime.min.time(), period.starts_at.tzinfo)
    )
    start_equity = history.equity_at(begin)
    if start_equity is None:
        start_equity = history.first_equity_from(begin)
    end_equity = history.equity_at(end)
    if start_equity is None or end_equity is None:
        return None
    flows = history.flows(begin, end)
    return close_period(period, start_equity, end_equity, flows, mark, terms)
