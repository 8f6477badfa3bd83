"""Query-string parameters of the list endpoints, as models (one place for their limits)."""

from __future__ import annotations

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
