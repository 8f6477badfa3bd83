from decimal import Decimal

import pytest
from pydantic import ValidationError

from fleet.events.catalog import domain_registry
from fleet.events.users import (
    LoginFailed,
    PasswordSet,
    TradingSettings,
    TradingSettingsChanged,
    UserLocked,
)

pytestmark = pytest.mark.unit


def test_defaults_are_the_products() -> None:
    settings = TradingSettings()
    assert (settings.max_positions, settings.leverage, settings.timeframe) == (2, 5, "5m")
    assert settings.risk_per_trade == Decimal("2.0")
    assert settings.daily_loss_limit == Decimal("5.0")
    assert settings.max_drawdown == Decimal("15.0")
    assert (settings.adx_threshold, settings.min_confidence) == (Decimal(25), Decimal(60))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("risk_per_trade", "0.05"),
        ("risk_per_trade", "10.5"),
        ("daily_loss_limit", "0.4"),
        ("max_drawdown", "91"),
        ("leverage", 126),
        ("max_positions", 0),
        ("adx_threshold", 61),
        ("min_confidence", 101),
        ("timeframe", "7m"),
        ("symbols", ["btc-usdt"]),
        ("symbols", ["BTC-USD"]),
        ("position_mode", "both"),
    ],
)
def test_out_of_range_settings_name_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        TradingSettings.model_validate({field: value})
    assert caught.value.errors()[0]["loc"][0] == field


def test_settings_round_trip_through_the_registry() -> None:
    registry = domain_registry()
    event = TradingSettingsChanged(settings=TradingSettings(symbols=("XRP-USDT", "BTC-USDT")))
    data = event.model_dump(mode="json")
    assert registry.class_for("user.trading_settings_changed").model_validate(data) == event


def test_events_stored_before_the_optional_fields_still_load() -> None:
    registry = domain_registry()
    password = registry.class_for("user.password_set").model_validate(
        {"password_hash": "$argon2id$x", "reason": "initial"}
    )
    failed = registry.class_for("user.login_failed").model_validate(
        {"ip": "203.0.113.9", "consecutive_failures": 2}
    )
    locked = registry.class_for("user.locked").model_validate(
        {"until": "2026-01-01T00:15:00Z", "consecutive_failures": 10}
    )
    assert isinstance(password, PasswordSet) and not password.must_change
    assert isinstance(failed, LoginFailed) and (failed.throttled, failed.failed_at) == (False, None)
    assert isinstance(locked, UserLocked) and locked.ip == ""


def test_claim_and_roster_events_are_registered() -> None:
    registry = domain_registry()
    for name in ("username.claimed", "username.released", "admin_roster.joined"):
        assert name in registry
