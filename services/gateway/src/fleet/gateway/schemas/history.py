"""Query strings and answers of a trader's whole history (cursor pages) and of the CSV
exports: the same filters as the JSON lists, without offsets."""

from __future__ import annotations

from typing import Generic, TypeVar

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


class CursorQuery(ApiModel):
    limit: int = Field(default=50, ge=1, le=500, description="Page size.")
    before: str | None = CURSOR


class TradesHistoryQuery(TradesFilter, CursorQuery):
    pass


class DecisionsHistoryQuery(DecisionsFilter, CursorQuery):
    pass


class CursorPage(BaseModel, Generic[ItemT]):
    """One page of a history, newest first; ``next_before`` fetches the older rows that
    follow (``null``: this is the last page). Rows recorded meanwhile never shift a page."""

    items: list[ItemT]
    limit: int = Field(ge=1, examples=[50])
    next_before: str | None = None
