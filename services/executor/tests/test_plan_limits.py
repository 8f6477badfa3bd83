"""A trader's plan limits entries at once, whatever his saved settings say; the skip names
the plan. Exits are not the plan's business."""

from decimal import Decimal

import pytest

from fleet.events.billing import PlanAssigned, PlanLimits
from fleet.events.directory import Directory
from fleet.executor.domain.planner import plan

from .test_planner import RULES, account, holding, signal, trader, turn

pytestmark = pytest.mark.unit

STARTER = PlanLimits(name="Starter", symbols=("BTC-USDT",), max_leverage=3)


def test_an_entry_on_a_symbol_outside_the_plan_is_skipped_with_the_plan_named() -> None:
    user = trader(symbols=("BTC-USDT", "ETH-USDT"), leverage=3)
    user.plan = STARTER
    result = plan(turn(signal(symbol="ETH-USDT")), user, account(), RULES)
    assert result.intents == ()
    assert result.evaluation.code == "plan"
    assert result.evaluation.reason == (
        "skipped: ETH-USDT is not in the 'Starter' plan (allowed: BTC-USDT)"
    )
    assert plan(turn(signal()), user, account(), RULES).intents  # BTC is in the plan


def test_a_leverage_above_the_plan_skips_entries_until_the_settings_comply() -> None:
    user = trader(leverage=5)
    user.plan = STARTER
    result = plan(turn(signal()), user, account(), RULES)
    assert result.evaluation.reason == "skipped: the 'Starter' plan allows at most 3x"


def test_exits_are_never_blocked_by_the_plan() -> None:
    user = trader(leverage=5)
    user.plan = STARTER
    result = plan(turn(signal("down")), user, holding(), RULES)
    assert result.evaluation.decision != "skip"


def test_the_directory_folds_the_assigned_plan() -> None:
    directory = Directory()
    directory.apply("u1", PlanAssigned(plan=STARTER, assigned_by="admin-1"))
    assert directory.view("u1").plan == STARTER
    demo = PlanLimits(name="Trial", demo_only=True, max_risk_per_trade=Decimal(1))
    user = trader()
    user.plan = demo
    assert "demo accounts only" in plan(turn(signal()), user, account(), RULES).evaluation.reason
