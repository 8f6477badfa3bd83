"""A path computed by hand: deposits, withdrawals, losses, new highs; 20 % fee."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fleet.billing import BillingPeriod, FeeTerms, PeriodClose, PeriodFlows, close_period

pytestmark = pytest.mark.unit

D = Decimal
# month, start, end, deposits, withdrawals | mark before, adjusted, fee, mark after, carried
TABLE = [
    ("2026-01", "1000", "1200", "0", "0", "1000", "1000", "40", "1200", "0"),  # new high
    ("2026-02", "1200", "1100", "0", "0", "1200", "1200", "0", "1200", "100"),  # loss
    ("2026-03", "1100", "1650", "500", "0", "1200", "1700", "0", "1700", "50"),  # deposit
    ("2026-04", "1650", "1800", "0", "0", "1700", "1700", "20", "1800", "0"),  # recovers
    ("2026-05", "1800", "1000", "0", "900", "1800", "900", "20", "1000", "0"),  # withdraws
    ("2026-06", "1000", "950", "0", "0", "1000", "1000", "0", "1000", "50"),  # small loss
    ("2026-07", "950", "700", "0", "300", "1000", "700", "0", "700", "0"),  # out at the mark
    ("2026-08", "700", "770", "0", "0", "700", "700", "14", "770", "0"),  # new high
]


def test_the_hand_computed_statements() -> None:
    mark: Decimal | None = None
    closes: list[PeriodClose] = []
    for month, start, end, dep, wd, before, adj, fee, after, carried in TABLE:
        flows = PeriodFlows(D(dep), D(wd))
        close = close_period(
            BillingPeriod.parse(month), D(start), D(end), flows, mark, FeeTerms(D("0.2"))
        )
        got = (close.mark_before, close.mark_adjusted, close.fee, close.mark_after)
        assert got == (D(before), D(adj), D(fee), D(after)), month
        assert close.carried_loss == D(carried), month
        mark = close.mark_after
        closes.append(close)
    assert sum(close.fee for close in closes) == D("94")


def test_the_sentence_says_the_numbers() -> None:
    close = close_period(
        BillingPeriod(2026, 3),
        D("1100"),
        D("1650"),
        PeriodFlows(D("500")),
        D("1200"),
        FeeTerms(D("0.2")),
    )
    assert close.sentence == (
        "March 2026: equity 1,100.00 → 1,650.00 USDT, deposits 500.00 and withdrawals 0.00"
        " move the high-water mark from 1,200.00 to 1,700.00; no fee: 50.00 below the"
        " high-water mark 1,700.00, carried forward."
    )
    won = close_period(
        BillingPeriod(2026, 1), D("1000"), D("1200"), PeriodFlows(), None, FeeTerms(D("0.2"))
    )
    assert won.sentence == (
        "January 2026: equity 1,000.00 → 1,200.00 USDT; 200.00 above the high-water mark"
        " 1,000.00, fee 20 % = 40.00; new high-water mark 1,200.00."
    )
