"""A partial settings change merged into the trader's current settings, the whole result
validated against the product's ranges (``TradingSettings``); every refusal names its
field. Unknown fields are refused, and so are symbols outside the configured list."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from fleet.auth.errors import InvalidInput
from fleet.events.users import TradingSettings

_RANGE_ERRORS = {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}


def merge_settings(
    current: TradingSettings | None,
    changes: Mapping[str, Any],
    known_symbols: Collection[str] = (),
    timeframes: Collection[str] | None = None,
) -> TradingSettings:
    """``current`` (or the defaults) with ``changes`` applied, or :class:`InvalidInput`.

    An empty ``known_symbols`` accepts every well-formed USDT-M symbol.
    """
    fields = TradingSettings.model_fields
    for name in changes:
        if name not in fields:
            raise InvalidInput(name, f"unknown setting {name!r}; known: {', '.join(fields)}")
    merged = (current or TradingSettings()).model_dump() | dict(changes)
    try:
        settings = TradingSettings.model_validate(merged)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "changes"
        raise InvalidInput(field, _describe(field, error)) from None
    _check_symbols(settings.symbols, known_symbols)
    if timeframes is not None and settings.timeframe not in timeframes:
        allowed = ", ".join(timeframes)
        raise InvalidInput(
            "timeframe", f"timeframe: {settings.timeframe} is not offered; choose one of {allowed}"
        )
    return settings


def _check_symbols(symbols: tuple[str, ...], known: Collection[str]) -> None:
    if len(set(symbols)) != len(symbols):
        raise InvalidInput("symbols", "symbols: a symbol is listed twice")
    unknown = [symbol for symbol in symbols if known and symbol not in known]
    if unknown:
        raise InvalidInput(
            "symbols", f"symbols: unknown symbol {unknown[0]}; known: {', '.join(sorted(known))}"
        )


def _describe(field: str, error: ErrorDetails) -> str:
    if error["type"] in _RANGE_ERRORS:
        low, high = _bounds(field)
        return f"{field} must be between {low} and {high}"
    message = error["msg"].removeprefix("Value error, ")
    return f"{field}: {message}"


def _bounds(field: str) -> tuple[object, object]:
    low: object = None
    high: object = None
    for rule in TradingSettings.model_fields[field].metadata:
        low = getattr(rule, "ge", low)
        high = getattr(rule, "le", high)
    return low, high
