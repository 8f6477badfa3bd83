"""Answers of a trader's own position controls (close one, flatten all)."""

from __future__ import annotations

from pydantic import Field

from fleet.gateway.schemas.base import ApiModel


class CloseRequested(ApiModel):
    """A close was requested: the executor sends reduce-only market orders for these
    positions; they leave ``/api/positions`` once BingX reports the fills."""

    status: str = Field(examples=["requested"])
    symbols: list[str] = Field(examples=[["BTC-USDT"]])
    positions: int = Field(ge=0, examples=[1], description="Open positions to close.")
