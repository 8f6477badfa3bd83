"""Partial settings changes merged and validated as a whole, refusals naming the field."""

from decimal import Decimal
from typing import Any

import pytest

from fleet.auth.domain.trading_settings import merge_settings
from fleet.auth.errors import InvalidInput
from fleet.events.users import TradingSettings

pytestmark = pytest.mark.unit
KNOWN = ("BTC-USDT", "ETH-USDT", "XRP-USDT")


def test_a_partial_change_keeps_the_other_fields() -> None:
    current = TradingSettings(leverage=10, symbols=("ETH-USDT",))
    merged = merge_settings(current, {"risk_per_trade": "1.5", "max_positions": 4}, KNOWN)
    assert merged.risk_per_trade == Decimal("1.5") and merged.max_positions == 4
    assert merged.leverage == 10 and merged.symbols == ("ETH-USDT",)


def test_no_current_settings_start_from_the_defaults() -> None:
    assert merge_settings(None, {}, KNOWN) == TradingSettings()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"risk_per_trade": "0.05"}, "risk_per_trade", "between 0.1 and 10"),
        ({"risk_per_trade": 10.5}, "risk_per_trade", "between 0.1 and 10"),
        ({"daily_loss_limit": "51"}, "daily_loss_limit", "between 0.5 and 50"),
        ({"max_drawdown": 0.5}, "max_drawdown", "between 1 and 90"),
        ({"leverage": 126}, "leverage", "between 1 and 125"),
        ({"max_positions": 0}, "max_positions", "between 1 and 50"),
        ({"adx_threshold": 61}, "adx_threshold", "between 5 and 60"),
        ({"min_confidence": -1}, "min_confidence", "between 0 and 100"),
        ({"timeframe": "7m"}, "timeframe", "timeframe"),
        ({"position_mode": "both"}, "position_mode", "position_mode"),
        ({"symbols": ["btc-usdt"]}, "symbols", "not a USDT-M perpetual symbol"),
        ({"symbols": ["DOGE-USDT"]}, "symbols", "unknown symbol DOGE-USDT"),
        ({"symbols": ["BTC-USDT", "BTC-USDT"]}, "symbols", "listed twice"),
        ({"symbols": []}, "symbols", "symbols"),
        ({"leverage": "lots"}, "leverage", "leverage"),
        ({"max_positions": 2.5}, "max_positions", "max_positions"),
        ({"moon_mode": True}, "moon_mode", "unknown setting"),
    ],
)
def test_bad_changes_name_the_field(changes: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        merge_settings(TradingSettings(), changes, KNOWN)
    assert refused.value.field == field
    assert message in str(refused.value)


def test_no_symbol_list_accepts_any_well_formed_symbol() -> None:
    assert merge_settings(None, {"symbols": ["PEPE-USDT"]}, ()).symbols == ("PEPE-USDT",)
