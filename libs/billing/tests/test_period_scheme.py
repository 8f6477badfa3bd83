"""Period schemes: calendar months, and fixed lengths from the epoch (tests)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from fleet.billing import BillingPeriod, FeeTerms, FixedPeriod, PeriodScheme
from fleet.billing.ledger import AccountHistory, Transfer, Valuation, fee_periods

pytestmark = pytest.mark.unit

D = Decimal
T0 = datetime(2026, 12, 3, 22, 40, 5, tzinfo=UTC)


def test_parse_and_cut() -> None:
    assert PeriodScheme.parse("monthly").of(T0) == BillingPeriod(2026, 12)
    twenty = PeriodScheme.parse("20")
    period = twenty.of(T0)
    assert isinstance(period, FixedPeriod)
    assert period.starts_at == datetime(2026, 12, 3, 22, 40, 0, tzinfo=UTC)
    assert period.ends_at - period.starts_at == timedelta(seconds=20)
    assert period.key == "2026-12-03-224000" and period.next().key == "2026-12-03-224020"
    assert twenty.of(date(2026, 12, 3)).key == "2026-12-03-000000"
    ended = list(twenty.ended(T0, T0 + timedelta(seconds=50)))
    assert [p.key for p in ended] == ["2026-12-03-224000", "2026-12-03-224020"]
    for bad in ("0", "-5", "weekly", ""):
        with pytest.raises(ValueError):
            PeriodScheme.parse(bad)


def test_fixed_periods_begin_at_the_first_valuation() -> None:
    """A fee that starts today, on 10-second periods: the periods before the account's
    first valuation are not closed (nothing to close), the ones after are."""
    start = T0.replace(second=0)
    at = [start + timedelta(seconds=s) for s in (0, 12, 25)]
    history = AccountHistory(
        valuations=[
            Valuation(at[0], D(1000)),
            Valuation(at[1], D(1500)),
            Valuation(at[2], D(1400)),
        ],
        transfers=[Transfer(at[1], D(500))],
    )
    scheme = PeriodScheme(timedelta(seconds=10))
    closes = list(fee_periods(history, FeeTerms(D("0.2")), date(2026, 12, 3), at[2], None, scheme))
    assert [c.period.key for c in closes] == [
        "2026-12-03-224000",
        "2026-12-03-224010",
        "2026-12-03-224020",
    ]
    first, second, third = closes
    assert (first.start_equity, first.end_equity, first.fee) == (D(1000), D(1000), D(0))
    assert (second.flows.deposits, second.fee, second.mark_after) == (D(500), D(0), D(1500))
    assert (third.end_equity, third.carried_loss) == (D(1500), D(0))  # 25 s: not yet seen
    assert third.period.starts_at <= at[2] < third.period.ends_at  # the running estimate
