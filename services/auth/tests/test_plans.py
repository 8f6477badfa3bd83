"""Settings validation under a plan: a refusal names the plan and the field; a plan
assigned later is in force for the next change."""

import pytest

from fleet.auth.errors import InvalidInput
from fleet.events.billing import PlanLimits

from .test_user import new_user

pytestmark = pytest.mark.unit

STARTER = PlanLimits(name="Starter", symbols=("BTC-USDT",), max_leverage=3)


def test_leverage_above_the_plan_is_refused_with_the_plans_name() -> None:
    trader = new_user()
    assert trader.assign_plan(STARTER, "admin-1")
    assert not trader.assign_plan(STARTER, "admin-1")  # the same plan: nothing recorded
    with pytest.raises(InvalidInput) as refused:
        trader.update_settings({"leverage": 5}, ())
    assert str(refused.value) == "leverage: the 'Starter' plan allows at most 3x"
    with pytest.raises(InvalidInput, match="ETH-USDT is not in the 'Starter' plan"):
        trader.update_settings({"symbols": ["BTC-USDT", "ETH-USDT"]}, ())
    assert trader.update_settings({"leverage": 3}, ())


def test_plans_belong_to_traders() -> None:
    with pytest.raises(InvalidInput):
        new_user("viewer").assign_plan(STARTER, "admin-1")
