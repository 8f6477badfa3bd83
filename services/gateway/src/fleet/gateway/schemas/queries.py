"""Query-string parameters of the list endpoints, as models (one place for their limits)."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from fleet.gateway.schemas.auth import RoleName
from fleet.gateway.schemas.base import TEXT_PATTERN, ApiModel

SYMBOL = Field(default=None, max_length=32, pattern=r"^[A-Z0-9]+-USDT$", examples=["BTC-USDT"])


class PageQuery(ApiModel):
    limit: int = Field(default=50, ge=1, le=500, description="Page size.")
    offset: int = Field(default=0, ge=0, le=1_000_000, description="Items to skip.")


class TradesQuery(PageQuery):
    symbol: str | None = SYMBOL
    since: AwareDatetime | None = Field(default=None, description="Closed at or after.")
    until: AwareDatetime | None = Field(default=None, description="Closed before.")


class DecisionsQuery(PageQuery):
    symbol: str | None = SYMBOL
    decision: Literal["entry", "exit", "skip"] | None = Field(
        default=None, description="Only decisions of this type."
    )
    routine: bool = Field(
        default=True,
        description="false: leave out the routine skips (no DI cross, holding a position).",
    )
    before: str | None = Field(
        default=None,
        max_length=512,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The `next_before` of the previous page: the rows older than it "
        "(rows arriving meanwhile never shift a page).",
    )


class UsersQuery(PageQuery):
    role: RoleName | None = None
    active: bool | None = None
    q: str | None = Field(
        default=None, max_length=64, pattern=TEXT_PATTERN, description="In username or email."
    )


class AuditQuery(PageQuery):
    actor: str | None = Field(
        default=None, max_length=128, pattern=TEXT_PATTERN, description="Acting user id."
    )
    target: str | None = Field(
        default=None, max_length=128, pattern=TEXT_PATTERN, description="Target user id."
    )
    action: str | None = Field(
        default=None,
        max_length=128,
        pattern=TEXT_PATTERN,
        description="Exact, or a prefix ending in '.'.",
    )
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None


class StatsQuery(ApiModel):
    tz: str | None = Field(
        default=None,
        max_length=64,
        pattern=r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$",
        examples=["America/New_York"],
        description='IANA time zone in which "today" begins (default UTC).',
    )
