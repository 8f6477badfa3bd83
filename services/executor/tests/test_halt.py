"""The kill switch as one state: the aggregate records a halt or a resume once, and while
halted the planner refuses every entry with the admin's reason but lets exits out."""

from dataclasses import replace
from decimal import Decimal

import pytest

from fleet.events import AggregateId
from fleet.events.halt import HALT_ID, HaltState, TradingHalted, TradingResumed
from fleet.executor.domain.halt import PlatformHalt
from fleet.executor.domain.planner import NO_CAPS, plan

from .test_planner import RULES, account, holding, signal, trader, turn

pytestmark = pytest.mark.unit


def test_halting_and_resuming_are_recorded_once_each() -> None:
    halt = PlatformHalt(AggregateId(HALT_ID))
    assert halt.halt("exchange incident", "admin-1")
    assert not halt.halt("again", "admin-2")  # a state, not a counter
    assert halt.resume("over", "admin-1")
    assert not halt.resume("over", "admin-1")
    assert halt.pending == (
        TradingHalted(reason="exchange incident", by="admin-1"),
        TradingResumed(reason="over", by="admin-1"),
    )


def test_the_folded_state_says_why_and_resume_clears_it() -> None:
    assert HaltState().sentence is None
    state = HaltState()
    state.apply(TradingHalted(reason="maintenance", by="admin-1"))
    assert (state.halted, state.sentence) == (True, "trading halted by admin: maintenance")
    state.apply(TradingResumed(by="admin-2"))
    assert (state.halted, state.reason, state.sentence) == (False, "", None)


def test_while_halted_entries_are_refused_with_the_reason_and_exits_still_leave() -> None:
    halted = replace(NO_CAPS, halt="trading halted by admin: maintenance")
    refused = plan(turn(signal()), trader(), account(), RULES, halted)
    evaluation = refused.evaluation
    assert not refused.intents and (evaluation.decision, evaluation.code) == ("skip", "reducing")
    assert evaluation.reason == "refused: exits only (trading halted by admin: maintenance)"
    exiting = plan(turn(signal("down")), trader(), holding("long"), RULES, halted)
    [order] = exiting.intents
    assert exiting.evaluation.decision == "exit" and order.quantity == Decimal("0.4")
    assert plan(turn(signal()), trader(), account(), RULES, NO_CAPS).intents  # resumed
