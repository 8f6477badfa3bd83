"""The risk engine: the single gate every order passes. Pure code shared by the live
executor and ``fleet backtest``, so a backtest sizes and blocks exactly as live trading."""

from fleet.risk.engine import (
    AccountView,
    Decision,
    Entry,
    SignalView,
    Skip,
    SymbolRules,
    decide_entry,
)

__all__ = ["AccountView", "Decision", "Entry", "SignalView", "Skip", "SymbolRules", "decide_entry"]
