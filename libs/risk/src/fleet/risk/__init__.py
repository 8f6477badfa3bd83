"""The risk engine and the rule, pure code shared by the live executor and ``fleet backtest``
(so a backtest decides, sizes and blocks exactly as live trading), and the one place prices
and quantities are rounded (:class:`Instrument`)."""

from fleet.risk.engine import (
    AccountView,
    Decision,
    Entry,
    SignalView,
    Skip,
    decide_entry,
)
from fleet.risk.instrument import Instrument, stop_side_error, wire_text
from fleet.risk.rule import RuleAction, action_for

__all__ = [
    "AccountView",
    "Decision",
    "Entry",
    "Instrument",
    "RuleAction",
    "SignalView",
    "Skip",
    "action_for",
    "decide_entry",
    "stop_side_error",
    "wire_text",
]
