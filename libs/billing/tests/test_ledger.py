"""Periods from an account's history: valuations at the boundaries, transfers inside."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from fleet.billing import carried_mark, month_of, unvalued_period
from fleet.billing.fees import FeeTerms
from fleet.billing.ledger import AccountHistory, Transfer, Valuation, fee_periods

pytestmark = pytest.mark.unit

D = Decimal


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC)


HISTORY = AccountHistory(
    valuations=[
        Valuation(at(1, 1), D(1000)),
        Valuation(at(1, 20), D(1200)),  # January ends at 1,200: a new high
        Valuation(at(2, 10), D(1600)),  # 500 deposited on Feb 5, so 100 lost in February
        Valuation(at(3, 15), D(1800)),  # March, running: 100 above the adjusted mark
    ],
    transfers=[Transfer(at(2, 5), D(500))],
)


def test_closed_periods_and_the_running_estimate() -> None:
    closes = list(fee_periods(HISTORY, FeeTerms(D("0.2")), date(2026, 1, 1), at(3, 20)))
    assert [c.period.key for c in closes] == ["2026-01", "2026-02", "2026-03"]
    january, february, march = closes
    assert (january.fee, january.mark_after) == (D(40), D(1200))
    assert (february.flows.deposits, february.fee, february.carried_loss) == (D(500), D(0), D(100))
    assert (march.start_equity, march.end_equity, march.fee) == (D(1600), D(1800), D(20))


def test_no_valuation_no_close() -> None:
    empty = AccountHistory(valuations=[])
    assert list(fee_periods(empty, FeeTerms(D("0.2")), date(2026, 1, 1), at(3, 1))) == []


def test_a_period_without_a_valuation_closes_with_no_fee_and_no_mark() -> None:
    """A priced plan is invoiced before the account is valued: zero figures, no fee."""
    close = unvalued_period(month_of(at(3, 1)), FeeTerms(D("0.2")))
    figures = (close.start_equity, close.end_equity, close.fee, close.mark_after)
    assert figures == (D(0), D(0), D(0), D(0))
    assert (
        close.sentence
        == "March 2026: no valuation of the account in the period, no performance fee."
    )


def test_a_zero_mark_carries_nothing() -> None:
    """A zero high-water mark (a period without a valuation, an emptied account) is no
    mark: the estimate handed the last close's zero mark charges from the start equity,
    as the close will, not the rate on the whole equity."""
    assert carried_mark(D(0)) is None
    assert carried_mark(D(770)) == D(770)
    terms, now = FeeTerms(D("0.2")), at(3, 20)
    after_zero = list(fee_periods(HISTORY, terms, date(2026, 1, 1), now, mark=D(0)))
    fresh = list(fee_periods(HISTORY, terms, date(2026, 1, 1), now))
    assert after_zero == fresh
    assert after_zero[0].fee == D(40)  # 20 % of 1,200 - 1,000, not of 1,200
