"""Platform settings an admin changes at run time (``ev.system.settings``), written by the
auth service: which symbols traders may choose, which timeframes, and the egress
addresses traders bind their BingX keys to. A field left ``None`` keeps the service's
environment default (``FLEET_TRADING_SYMBOLS`` of auth, ``FLEET_EGRESS_IPS`` of vault)."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import AfterValidator, Field

from fleet.events.bounds import IP_MAX
from fleet.events.registry import DomainEvent
from fleet.events.timeframes import Timeframe
from fleet.events.users import Symbol

SYSTEM_AGGREGATE = "system"
SYSTEM_SETTINGS_ID = "settings"  # the one instance


def _address(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError("not an IPv4 or IPv6 address") from None  # never the value


EgressAddress = Annotated[str, Field(max_length=IP_MAX), AfterValidator(_address)]
AllowedSymbols = Annotated[tuple[Symbol, ...], Field(min_length=1, max_length=200)]
AllowedTimeframes = Annotated[tuple[Timeframe, ...], Field(min_length=1, max_length=11)]
EgressAddresses = Annotated[tuple[EgressAddress, ...], Field(max_length=64)]
ProductName = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[^\x00-\x1f<>&\"]+$")]
LogoUrl = Annotated[
    str, Field(max_length=300, pattern=r"^(https://[A-Za-z0-9.-]+(:\d+)?|)/[^\s<>\"']*$")
]
AccentColour = Annotated[str, Field(max_length=7, pattern=r"^#[0-9a-fA-F]{6}$")]
BRANDING_FIELDS = ("product_name", "logo_url", "accent_colour")


class SystemSettingsChanged(DomainEvent):
    """The platform's settings after an admin's change (the whole state, not a diff)."""

    event_type = "system.settings_changed"
    allowed_symbols: AllowedSymbols | None = None
    timeframes: AllowedTimeframes | None = None
    egress_addresses: EgressAddresses | None = None
    # white-label branding (None: the environment's FLEET_PRODUCT_NAME / _LOGO_URL / _ACCENT)
    product_name: ProductName | None = None
    logo_url: LogoUrl | None = None  # an https URL or a path on Fleet's own origin
    accent_colour: AccentColour | None = None  # #rrggbb
    changed_by: str = Field(max_length=128)


SYSTEM_EVENTS: tuple[type[DomainEvent], ...] = (SystemSettingsChanged,)
