"""Settings validation under a plan: a refusal names the plan and the field; a plan
assigned later is in force for the next change."""

from datetime import date
from decimal import Decimal

import pytest

from fleet.auth.domain.plan_catalog import PlanCatalog
from fleet.auth.errors import InvalidInput, NotFound
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


def test_a_value_set_before_the_plan_does_not_block_other_changes() -> None:
    trader = new_user()
    trader.update_settings({"leverage": 10}, ())
    trader.assign_plan(STARTER, "admin-1")
    assert trader.update_settings({"risk_per_trade": "1"}, ())  # leverage 10 untouched


def test_the_catalog_knows_each_plans_traders_and_refuses_unknown_plans() -> None:
    catalog = PlanCatalog()
    assert catalog.define(STARTER, "admin-1") == []
    assert catalog.choose("u1", "Starter", "admin-1") == STARTER
    tighter = STARTER.model_copy(update={"max_leverage": 2})
    assert catalog.define(tighter, "admin-1") == ["u1"]  # to be stamped again
    with pytest.raises(NotFound, match="no plan named 'Gold'"):
        catalog.choose("u1", "Gold", "admin-1")
    assert catalog.set_default("Starter", "admin-1")
    assert not catalog.set_default("Starter", "admin-1")


def test_fee_terms_are_a_fraction_below_one() -> None:
    trader = new_user()
    assert trader.set_fee_terms(Decimal("0.2"), date(2026, 12, 1), "admin-1")
    assert not trader.set_fee_terms(Decimal("0.2"), date(2026, 12, 1), "admin-1")
    with pytest.raises(InvalidInput):
        trader.set_fee_terms(Decimal("1.5"), date(2026, 12, 1), "admin-1")
