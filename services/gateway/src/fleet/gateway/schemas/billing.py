"""Bodies of the billing API: fee statements (closed periods and the running estimate),
invoices and their status, the revenue report. Money is a decimal string."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, Field

from fleet.gateway.schemas.base import ApiModel

InvoiceStatus = Literal["open", "paid", "waived"]


class StatementOut(ApiModel):
    """One fee period: the high-water-mark numbers, the sentence and the invoice."""

    user_id: str
    username: str = ""
    period: str = Field(examples=["2026-11"])
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    rate: Decimal = Field(examples=["0.2"])
    start_equity: Decimal = Field(examples=["1000.00"])
    end_equity: Decimal = Field(examples=["1200.00"])
    deposits: Decimal = Field(examples=["0"])
    withdrawals: Decimal = Field(examples=["0"])
    mark_before: Decimal = Field(examples=["1000.00"])
    mark_after: Decimal = Field(examples=["1200.00"])
    gain: Decimal = Field(examples=["200.00"])
    fee: Decimal = Field(examples=["40.00"])
    carried_loss: Decimal = Field(examples=["0"])
    plan: str = Field(examples=["Starter"])
    plan_price: Decimal = Field(examples=["29"])
    total: Decimal = Field(examples=["69.00"], description="Plan price + performance fee.")
    status: InvoiceStatus | Literal["estimate"]
    status_note: str = ""
    sentence: str


class StatementsOut(ApiModel):
    """A trader's closed periods, newest first, and the running period's estimate."""

    statements: list[StatementOut]
    estimate: StatementOut | None = None


class InvoicesOut(ApiModel):
    invoices: list[StatementOut]


class RevenueRow(ApiModel):
    """One period's invoices, summed."""

    period: str = Field(examples=["2026-11"])
    traders: int
    fees: Decimal
    plans: Decimal
    total: Decimal
    paid: Decimal
    waived: Decimal
    open: Decimal


class RevenueOut(ApiModel):
    periods: list[RevenueRow]


class InvoiceStatusIn(ApiModel):
    status: InvoiceStatus
    note: str = Field(default="", max_length=128)


class InvoiceStatusOut(ApiModel):
    user_id: str
    period: str
    status: InvoiceStatus
    changed: bool


class TraderTermsOut(ApiModel):
    """One trader's performance-fee terms and plan (``null``: none set)."""

    user_id: str
    username: str
    rate: Decimal | None = Field(examples=["0.2"], description="A fraction; 0: off.")
    starts_on: date | None = Field(examples=["2026-12-01"])
    plan: str | None = Field(examples=["Starter"])
    plan_price: Decimal | None = Field(examples=["29"])


class TermsOut(ApiModel):
    """Every trader's fee terms and plan, by username."""

    traders: list[TraderTermsOut]
