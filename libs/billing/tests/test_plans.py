from __future__ import annotations

from decimal import Decimal

import pytest

from fleet.billing import PlanLimits, plan_refusal

pytestmark = pytest.mark.unit

STARTER = PlanLimits(name="Starter", symbols=("BTC-USDT",), max_leverage=3, timeframes=("1h",))


def test_each_refusal_names_the_plan_and_the_field() -> None:
    assert plan_refusal(STARTER, leverage=5) == (
        "leverage",
        "leverage: the 'Starter' plan allows at most 3x",
    )
    field, sentence = plan_refusal(STARTER, symbols=("BTC-USDT", "ETH-USDT")) or ("", "")
    assert field == "symbols"
    assert "ETH-USDT is not in the 'Starter' plan" in sentence
    assert plan_refusal(STARTER, timeframe="5m") is not None


def test_values_within_the_plan_pass_and_an_unlimited_plan_allows_everything() -> None:
    assert plan_refusal(STARTER, symbols=("BTC-USDT",), leverage=3, timeframe="1h") is None
    free = PlanLimits(name="Free")
    assert (
        plan_refusal(free, symbols=("ETH-USDT",), leverage=125, risk_per_trade=Decimal(10)) is None
    )
