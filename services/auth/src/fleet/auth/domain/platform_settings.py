"""The platform's settings (``ev.system.settings``): allowed symbols, timeframes and egress
addresses, changed by admins at run time. A field never set (or reset) is ``None``: the
environment default applies where the setting is used."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from pydantic import ValidationError

from fleet.auth.errors import InvalidInput
from fleet.events import AggregateId, DomainEvent
from fleet.events.aggregate import Aggregate
from fleet.events.system_settings import (
    SYSTEM_AGGREGATE,
    SYSTEM_SETTINGS_ID,
    SystemSettingsChanged,
)

PLATFORM_ID = AggregateId(SYSTEM_SETTINGS_ID)
FIELDS = (
    "allowed_symbols",
    "timeframes",
    "egress_addresses",
    "product_name",
    "logo_url",
    "accent_colour",
)


class PlatformSettings(Aggregate):
    """Allowed symbols, timeframes, egress addresses (``None``: the default)."""

    aggregate_type = SYSTEM_AGGREGATE

    def __init__(self, aggregate_id: AggregateId = PLATFORM_ID) -> None:
        super().__init__(aggregate_id)
        self.allowed_symbols: tuple[str, ...] | None = None
        self.timeframes: tuple[str, ...] | None = None
        self.egress_addresses: tuple[str, ...] | None = None
        self.product_name: str | None = None
        self.logo_url: str | None = None
        self.accent_colour: str | None = None

    def current(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}

    def change(self, changes: dict[str, Any], reset: Collection[str], by: str) -> bool:
        """Apply ``changes`` (``None`` values ignored) and ``reset``; :class:`InvalidInput`
        naming the first bad field. Returns whether anything changed."""
        wanted = self.current()
        wanted |= {name: value for name, value in changes.items() if value is not None}
        wanted |= dict.fromkeys(reset)
        try:
            event = SystemSettingsChanged(**wanted, changed_by=by)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = str(error["loc"][0]) if error["loc"] else "settings"
            message = error["msg"].removeprefix("Value error, ")
            raise InvalidInput(field, f"{field}: {message}") from None
        for name in FIELDS:
            values = getattr(event, name)
            if isinstance(values, tuple) and len(set(values)) != len(values):
                raise InvalidInput(name, f"{name}: a value is listed twice")
        if {name: getattr(event, name) for name in FIELDS} == self.current():
            return False
        self.record(event)
        return True

    def symbols_or(self, default: tuple[str, ...]) -> tuple[str, ...]:
        """The symbols traders may choose (empty: any USDT-M symbol)."""
        return self.allowed_symbols if self.allowed_symbols is not None else default

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, SystemSettingsChanged):
            self.allowed_symbols = event.allowed_symbols
            self.timeframes = event.timeframes
            self.egress_addresses = event.egress_addresses
            self.product_name = event.product_name
            self.logo_url = event.logo_url
            self.accent_colour = event.accent_colour
