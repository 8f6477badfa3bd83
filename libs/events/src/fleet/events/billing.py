"""The business side: plans (subscription tiers with limits), performance-fee terms,
period closes and their invoices. Written by the auth service (plans, assignments and fee
terms are admin decisions on users; see services/auth/README.md "Plans and fees").

* ``ev.plan.catalog``: :class:`PlanDefined` (a plan's price and limits),
  :class:`DefaultPlanSet` (the plan a new trader gets) and :class:`PlanChosen` (which
  trader is on which plan: the index auth re-stamps when a plan changes).
* ``ev.user.<user id>``: :class:`PlanAssigned` (a snapshot of the plan's limits, so every
  service that folds users — the executor's directory — has them at once) and
  :class:`FeeTermsSet`.
* ``ev.billing.<user id>_<period>``: :class:`PeriodClosed` (the statement, with its
  invoice) then :class:`InvoiceStatusSet`. The aggregate id is the identity of the close:
  appended at version 0 only, so a period is closed once per trader whoever runs it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from fleet.events.bounds import Amount, IdText, NameText, ReasonText
from fleet.events.registry import DomainEvent
from fleet.events.timeframes import Timeframe
from fleet.events.users import Symbol

PLAN_AGGREGATE = "plan"
BILLING_AGGREGATE = "billing"
Money = Annotated[
    Decimal, Field(ge=0, le=10**11, max_digits=20, decimal_places=8, allow_inf_nan=False)
]
Rate = Annotated[Decimal, Field(ge=0, le=Decimal("0.9999"), max_digits=5, decimal_places=4)]
InvoiceStatus = Literal["open", "paid", "waived"]


class PlanLimits(BaseModel):
    """A plan: its name, price per period and limits (``None`` / empty: no limit)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: NameText = Field(min_length=1)
    price: Money = Decimal(0)
    symbols: tuple[Symbol, ...] = Field(default=(), max_length=200)
    timeframes: tuple[Timeframe, ...] = Field(default=(), max_length=11)
    max_open_positions: int | None = Field(default=None, ge=1, le=50)
    max_leverage: int | None = Field(default=None, ge=1, le=125)
    max_risk_per_trade: Decimal | None = Field(
        default=None, ge=0, le=10, max_digits=4, decimal_places=2
    )
    demo_only: bool = False

    def allows_symbol(self, symbol: str) -> bool:
        return not self.symbols or symbol in self.symbols


PLAN_CATALOG_ID = "catalog"  # the one instance: every plan, the default, who is on which


def close_id(user_id: str, period_key: str) -> str:
    """The aggregate id of a trader's period close (and its invoice)."""
    return f"{user_id}_{period_key}"


class PlanDefined(DomainEvent):
    """An admin defined or changed a plan (the whole plan, not a diff)."""

    event_type = "billing.plan_defined"
    plan: PlanLimits
    defined_by: IdText


class DefaultPlanSet(DomainEvent):
    """The plan a new trader is put on (``None``: none)."""

    event_type = "billing.default_plan_set"
    plan_name: NameText | None = None
    set_by: IdText


class PlanChosen(DomainEvent):
    """An admin put ``user_id`` on ``plan_name`` (the catalog's index of members)."""

    event_type = "billing.plan_chosen"
    user_id: IdText
    plan_name: NameText
    chosen_by: IdText


class PlanAssigned(DomainEvent):
    """A trader is on ``plan`` from now on (its limits as they are; a plan's change is
    stamped again on each trader on it, so it takes effect at once)."""

    event_type = "billing.plan_assigned"
    plan: PlanLimits
    assigned_by: IdText


class FeeTermsSet(DomainEvent):
    """The trader's performance fee: ``rate`` a fraction (0 = off), monthly UTC periods
    from ``starts_on``."""

    event_type = "billing.fee_set"
    rate: Rate
    period: Literal["monthly"] = "monthly"
    starts_on: date
    set_by: IdText


class PeriodClosed(DomainEvent):
    """One trader's period, closed: the high-water-mark numbers, the sentence, and the
    invoice (plan price + fee, status open)."""

    event_type = "billing.period_closed"
    user_id: IdText
    # a month (2026-11), or a fixed test length's start (2026-12-03-224000)
    period: Annotated[str, Field(pattern=r"^\d{4}-\d{2}(-\d{2}-\d{6})?$")]
    starts_at: datetime
    ends_at: datetime
    rate: Rate
    start_equity: Amount
    end_equity: Amount
    deposits: Money
    withdrawals: Money
    mark_before: Amount
    mark_after: Amount
    gain: Amount
    fee: Money
    carried_loss: Money
    plan: NameText = ""
    plan_price: Money = Decimal(0)
    sentence: ReasonText

    def idempotency_key(self) -> str | None:
        return "closed"  # with the aggregate (trader and period): one close, one event id


class InvoiceStatusSet(DomainEvent):
    """An admin marked a period's invoice paid, waived or open again."""

    event_type = "billing.invoice_status_set"
    status: InvoiceStatus
    set_by: IdText
    note: NameText = ""


BILLING_EVENTS: tuple[type[DomainEvent], ...] = (
    PlanDefined,
    DefaultPlanSet,
    PlanChosen,
    PlanAssigned,
    FeeTermsSet,
    PeriodClosed,
    InvoiceStatusSet,
)
