"""Properties of the high-water-mark fee over random paths of periods."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fleet.billing import BillingPeriod, FeeTerms, PeriodClose, PeriodFlows, close_period

pytestmark = pytest.mark.unit

cents = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False)
equities = st.decimals(min_value=0, max_value=1_000_000, places=2, allow_nan=False)
rates = st.decimals(min_value=0, max_value=Decimal("0.5"), places=4, allow_nan=False)
flows = st.builds(PeriodFlows, deposits=cents, withdrawals=cents)
JAN = BillingPeriod(2026, 1)


def run(
    start: Decimal, steps: list[tuple[Decimal, PeriodFlows]], rate: Decimal
) -> list[PeriodClose]:
    """Close one period per step (end equity, flows), each starting where the last ended."""
    closes: list[PeriodClose] = []
    equity, mark, period = start, None, JAN
    for end, moved in steps:
        closes.append(close_period(period, equity, end, moved, mark, FeeTerms(rate)))
        equity, mark, period = end, closes[-1].mark_after, period.next()
    return closes


@given(equities, st.lists(st.tuples(equities, flows), min_size=1, max_size=12), rates)
def test_the_fee_is_never_negative_and_the_mark_never_falls_below_the_adjusted_mark(
    start: Decimal, steps: list[tuple[Decimal, PeriodFlows]], rate: Decimal
) -> None:
    for close in run(start, steps, rate):
        assert close.fee >= 0
        assert close.mark_after >= close.mark_adjusted
        assert close.carried_loss >= 0
        assert close.fee == rate * close.chargeable


@given(equities, equities, flows, rates)
def test_the_same_profit_is_never_charged_twice(
    start: Decimal, end: Decimal, moved: PeriodFlows, rate: Decimal
) -> None:
    first = close_period(JAN, start, end, moved, None, FeeTerms(rate))
    again = close_period(JAN.next(), end, end, PeriodFlows(), first.mark_after, FeeTerms(rate))
    assert again.fee == 0


@given(equities, cents, rates)
def test_a_deposit_never_creates_a_fee(start: Decimal, deposit: Decimal, rate: Decimal) -> None:
    close = close_period(
        JAN, start, start + deposit, PeriodFlows(deposits=deposit), None, FeeTerms(rate)
    )
    assert close.fee == 0
    assert close.mark_after == start + deposit


@given(equities, cents, cents, rates)
def test_a_withdrawal_lowers_the_mark_by_what_left_and_keeps_the_carried_loss(
    mark: Decimal, loss: Decimal, withdrawn: Decimal, rate: Decimal
) -> None:
    """A trader ``loss`` below his mark who withdraws neither pays for climbing back to the
    money he took out nor has his loss forgiven: the mark falls by the amount, the loss
    stays, and only gains past the loss are charged later."""
    before = mark - loss
    assume(0 <= withdrawn <= before)
    terms = FeeTerms(rate)
    out = close_period(
        JAN, before, before - withdrawn, PeriodFlows(withdrawals=withdrawn), mark, terms
    )
    assert (out.mark_after, out.carried_loss, out.fee) == (mark - withdrawn, loss, Decimal(0))
    back = close_period(
        JAN.next(), out.end_equity, out.end_equity + loss, PeriodFlows(), out.mark_after, terms
    )
    assert back.fee == 0


@given(equities, st.lists(st.tuples(equities, flows), min_size=1, max_size=12), rates)
def test_periods_charge_what_one_period_does_when_the_path_ends_at_its_peak(
    start: Decimal, steps: list[tuple[Decimal, PeriodFlows]], rate: Decimal
) -> None:
    """When the path's last equity, flow-adjusted, is its highest, the periods' fees add up
    to the fee of one period over the whole path."""
    net = sum((moved.net for _, moved in steps), Decimal(0))
    so_far = Decimal(0)
    adjusted = [start]
    for end, moved in steps:
        so_far += moved.net
        adjusted.append(end - so_far)
    last = max(adjusted) + net  # the last equity moved to the flow-adjusted peak
    assume(last >= 0)
    steps = [*steps[:-1], (last, steps[-1][1])]
    total = sum((close.fee for close in run(start, steps, rate)), Decimal(0))
    everything = PeriodFlows(
        deposits=sum((moved.deposits for _, moved in steps), Decimal(0)),
        withdrawals=sum((moved.withdrawals for _, moved in steps), Decimal(0)),
    )
    assert total == close_period(JAN, start, last, everything, None, FeeTerms(rate)).fee
