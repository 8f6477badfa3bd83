"""The performance fee with a high-water mark (HWM), one period at a time.

Deposits and withdrawals are not performance: the mark moves with them, dollar for
dollar, before the period's end equity is compared with it. So a deposit raises the bar
it must clear (no fee on money paid in), a withdrawal lowers it by what left (the trader
is not charged again to climb back to money he took out, and a loss carried forward stays
the same size). Only the period's net flows are known (BingX transfers), not the equity at
the moment of each, which is why the adjustment is by amount, not by proportion.

    adjusted mark  = mark before + deposits - withdrawals
    fee            = rate * max(0, end equity - adjusted mark)
    mark after     = max(adjusted mark, end equity)
    carried loss   = max(0, adjusted mark - end equity)

The first period's mark is its start equity. The fee is not taken from the BingX account
(it is invoiced), so the mark after a fee is the end equity itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from fleet.billing.periods import Period

FEE_PLACES = Decimal("0.00000001")  # the event bounds' precision; exact for cents x 4-place rates
ZERO = Decimal(0)


@dataclass(frozen=True)
class FeeTerms:
    """A trader's performance fee: ``rate`` a fraction (``0.2`` = 20 %; 0 = off)."""

    rate: Decimal

    def __post_init__(self) -> None:
        if not ZERO <= self.rate < 1:
            raise ValueError("the fee rate is a fraction from 0 (off) to below 1")


@dataclass(frozen=True)
class PeriodFlows:
    """Money moved in (deposits) and out (withdrawals) during the period, both ≥ 0."""

    deposits: Decimal = ZERO
    withdrawals: Decimal = ZERO

    def __post_init__(self) -> None:
        if self.deposits < 0 or self.withdrawals < 0:
            raise ValueError("deposits and withdrawals are amounts, never negative")

    @property
    def net(self) -> Decimal:
        return self.deposits - self.withdrawals


@dataclass(frozen=True)
class PeriodClose:
    """One period's statement: the numbers and the sentence that explains them."""

    period: Period
    rate: Decimal
    start_equity: Decimal
    end_equity: Decimal
    flows: PeriodFlows
    mark_before: Decimal
    mark_adjusted: Decimal
    mark_after: Decimal
    gain: Decimal  # the period's trading result: end - start - net flows
    chargeable: Decimal  # above the adjusted mark
    fee: Decimal
    carried_loss: Decimal
    sentence: str

    def figures(self) -> dict[str, object]:
        """The statement's fields by the names ``billing.period_closed`` and the API use."""
        return {
            "period": self.period.key,
            "starts_at": self.period.starts_at,
            "ends_at": self.period.ends_at,
            "rate": self.rate,
            "start_equity": self.start_equity,
            "end_equity": self.end_equity,
            "deposits": self.flows.deposits,
            "withdrawals": self.flows.withdrawals,
            "mark_before": self.mark_before,
            "mark_after": self.mark_after,
            "gain": self.gain,
            "fee": self.fee,
            "carried_loss": self.carried_loss,
            "sentence": self.sentence,
        }


def close_period(
    period: Period,
    start_equity: Decimal,
    end_equity: Decimal,
    flows: PeriodFlows,
    mark: Decimal | None,
    terms: FeeTerms,
) -> PeriodClose:
    """Close ``period``: the fee on what the end equity stands above the high-water mark
    (``mark``; ``None`` for the first period: its start equity), adjusted by the flows."""
    mark_before = start_equity if mark is None else mark
    adjusted = mark_before + flows.net
    chargeable = max(ZERO, end_equity - adjusted)
    fee = (terms.rate * chargeable).quantize(FEE_PLACES, rounding=ROUND_DOWN)
    close = PeriodClose(
        period=period,
        rate=terms.rate,
        start_equity=start_equity,
        end_equity=end_equity,
        flows=flows,
        mark_before=mark_before,
        mark_adjusted=adjusted,
        mark_after=max(adjusted, end_equity),
        gain=end_equity - start_equity - flows.net,
        chargeable=chargeable,
        fee=fee,
        carried_loss=max(ZERO, adjusted - end_equity),
        sentence="",
    )
    return _with_sentence(close)


def carried_mark(mark_after: Decimal) -> Decimal | None:
    """The high-water mark the next period starts from. A zero mark carries nothing (a
    period without a valuation, or an emptied account): the next period starts from its
    start equity, else the rate would be charged on the whole equity. Shared by the
    period closer, the ledger and the running estimate, so the estimate is the close."""
    return mark_after if mark_after > 0 else None


def unvalued_period(period: Period, terms: FeeTerms) -> PeriodClose:
    """``period`` closed without a valuation of the account (no key connected yet): zero
    figures and no fee, so a priced plan is still invoiced; its zero mark carries nothing."""
    close = close_period(period, ZERO, ZERO, PeriodFlows(), None, terms)
    sentence = f"{period.label()}: no valuation of the account in the period, no performance fee."
    return PeriodClose(**{**close.__dict__, "sentence": sentence})


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}"


def _with_sentence(close: PeriodClose) -> PeriodClose:
    flows = close.flows
    moved = ""
    if flows.deposits or flows.withdrawals:
        moved = (
            f", deposits {_money(flows.deposits)} and withdrawals {_money(flows.withdrawals)}"
            f" move the high-water mark from {_money(close.mark_before)}"
            f" to {_money(close.mark_adjusted)}"
        )
    head = (
        f"{close.period.label()}: equity {_money(close.start_equity)} → "
        f"{_money(close.end_equity)} USDT{moved}; "
    )
    if close.chargeable > 0:
        tail = (
            f"{_money(close.chargeable)} above the high-water mark "
            f"{_money(close.mark_adjusted)}, fee {_percent(close.rate)} % = {_money(close.fee)};"
            f" new high-water mark {_money(close.mark_after)}."
        )
    else:
        tail = (
            f"no fee: {_money(close.carried_loss)} below the high-water mark "
            f"{_money(close.mark_adjusted)}, carried forward."
        )
    return PeriodClose(**{**close.__dict__, "sentence": head + tail})
