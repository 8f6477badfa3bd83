"""Bodies of ``/api/admin/settings``: the platform's settings an admin changes at run time."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from fleet.events.system_settings import AllowedSymbols, AllowedTimeframes, EgressAddresses
from fleet.gateway.schemas.base import ApiModel

SettingName = Literal["allowed_symbols", "timeframes", "egress_addresses"]


class SystemSettingsUpdate(ApiModel):
    """A partial change: fields left out stay as they are; ``reset`` puts fields back to
    the environment default."""

    allowed_symbols: AllowedSymbols | None = Field(
        default=None, examples=[["BTC-USDT", "ETH-USDT"]], description="Symbols traders may pick."
    )
    timeframes: AllowedTimeframes | None = Field(
        default=None, examples=[["5m", "1h"]], description="Timeframes traders may pick."
    )
    egress_addresses: EgressAddresses | None = Field(
        default=None,
        examples=[["203.0.113.7"]],
        description="Fleet's egress addresses traders bind their BingX keys to.",
    )
    reset: list[SettingName] = Field(default_factory=list, max_length=3)


class SystemSettingsOut(ApiModel):
    """The platform's settings; ``null``: the environment default applies."""

    allowed_symbols: list[str] | None = Field(examples=[["BTC-USDT"]])
    timeframes: list[str] | None = Field(
        examples=[["5m", "1h"]], description="null: every timeframe BingX offers."
    )
    egress_addresses: list[str] | None = Field(
        examples=[["203.0.113.7"]], description="null: the vault's FLEET_EGRESS_IPS."
    )
    default_symbols: list[str] = Field(
        description="auth's FLEET_TRADING_SYMBOLS (empty: any USDT-M symbol)."
    )
    changed: bool = False
