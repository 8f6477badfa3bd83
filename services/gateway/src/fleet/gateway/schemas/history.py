"""Query strings and answers of a trader's whole history (cursor pages) and of the CSV
exports: the same filters as the JSON lists, without offsets."""

from __future__ import annotations

from decimal import Decimal
from typing import Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, Field

from fleet.gateway.schemas.base import TEXT_PATTERN, ApiModel
from fleet.gateway.schemas.queries import SYMBOL

ItemT = TypeVar("ItemT")
CURSOR = Field(
    default=None,
    max_length=512,
    pattern=r"^[A-Za-z0-9_-]+$",
    description="The `next_before` of the previous page; none: the newest rows.",
)


class TradesFilter(ApiModel):
    symbol: str | None = SYMBOL
    since: AwareDatetime | None = Field(default=None, description="Closed at or after.")
    until: AwareDatetime | None = Field(default=None, description="Closed before.")


class DecisionsFilter(ApiModel):
    symbol: str | None = SYMBOL


class AuditExportFilter(ApiModel):
    actor: str | None = Field(default=None, max_length=128, pattern=TEXT_PATTERN)
    target: str | None = Field(default=None, max_length=128, pattern=TEXT_PATTERN)
    action: str | None = Field(
        default=None,
        max_length=128,
        pattern=TEXT_PATTERN,
        description="Exact, or a prefix ending in '.'.",
    )
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None


class IncomeFilter(ApiModel):
    income_type: str | None = Field(
        default=None,
        max_length=32,
        pattern=r"^[A-Z_]+$",
        description="Only rows of this BingX income type (TRANSFER, FUNDING_FEE, ...).",
        examples=["FUNDING_FEE"],
    )
    since: AwareDatetime | None = Field(default=None, description="At or after.")
    until: AwareDatetime | None = Field(default=None, description="Before.")


class IncomeOut(ApiModel):
    """Money that moved the account's balance: a funding fee, a trading fee, a realised
    PnL, a deposit or withdrawal (``amount`` signed: negative paid or withdrawn)."""

    income_id: str = Field(description="BingX's identity of the row (its tranId).")
    income_type: str = Field(examples=["FUNDING_FEE"])
    symbol: str | None = Field(examples=["BTC-USDT"])
    amount: Decimal = Field(examples=["-0.42"])
    asset: str = Field(examples=["USDT"])
    at: AwareDatetime
    imported_from: Literal["legacy", "bingx"] | None = Field(
        description="bingx: from the history import; null: recorded live by Fleet."
    )


class CursorQuery(ApiModel):
    limit: int = Field(default=50, ge=1, le=500, description="Page size.")
    before: str | None = CURSOR


class TradesHistoryQuery(TradesFilter, CursorQuery):
    pass


class DecisionsHistoryQuery(DecisionsFilter, CursorQuery):
    decision: Literal["entry", "exit", "skip"] | None = Field(
        default=None, description="Only decisions of this type."
    )
    routine: bool = Field(
        default=True,
        description="false: leave out the routine skips (no DI cross, holding a position).",
    )


class CursorPage(BaseModel, Generic[ItemT]):
    """One page of a history, newest first; ``next_before`` fetches the older rows that
    follow (``null``: this is the last page). Rows recorded meanwhile never shift a page."""

    items: list[ItemT]
    limit: int = Field(ge=1, examples=[50])
    next_before: str | None = None


class IncomeHistoryQuery(IncomeFilter, CursorQuery):
    pass
