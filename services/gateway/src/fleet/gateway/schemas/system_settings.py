"""Bodies of ``/api/admin/settings``: the platform's settings an admin changes at run time."""

from __future__ import annotations

from pydantic import Field

from fleet.events.auth_commands import SettingName
from fleet.events.system_settings import (
    AccentColour,
    AllowedSymbols,
    AllowedTimeframes,
    EgressAddresses,
    LogoUrl,
    ProductName,
)
from fleet.gateway.schemas.base import ApiModel


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
    product_name: ProductName | None = Field(
        default=None, examples=["Acme Trading"], description="The name the UI and mails show."
    )
    logo_url: LogoUrl | None = Field(
        default=None, examples=["/ui/logo.svg"], description="An https URL or a path on Fleet."
    )
    accent_colour: AccentColour | None = Field(
        default=None, examples=["#0a7f5a"], description="The UI's accent colour (#rrggbb)."
    )
    reset: list[SettingName] = Field(default_factory=list, max_length=6)


class SystemSettingsOut(ApiModel):
    """The platform's settings; ``null``: the environment default applies."""

    allowed_symbols: list[str] | None = Field(examples=[["BTC-USDT"]])
    timeframes: list[str] | None = Field(
        examples=[["5m", "1h"]], description="null: every timeframe BingX offers."
    )
    egress_addresses: list[str] | None = Field(
        examples=[["203.0.113.7"]], description="null: the vault's FLEET_EGRESS_IPS."
    )
    product_name: str | None = Field(default=None, description="null: FLEET_PRODUCT_NAME.")
    logo_url: str | None = Field(default=None, description="null: FLEET_LOGO_URL.")
    accent_colour: str | None = Field(default=None, description="null: FLEET_ACCENT_COLOUR.")
    default_symbols: list[str] = Field(
        description="auth's FLEET_TRADING_SYMBOLS (empty: any USDT-M symbol)."
    )
    changed: bool = False
