"""The chaos campaign runs on the trading path of ``tests/trading`` (NATS, OpenBao, the
BingX simulator, vault and executor processes), whose fixtures are reused from
``tests/trading/conftest.py``; the test adds the strategy, auth, the gateway and notify."""

from __future__ import annotations

from pathlib import Path

from fleet.testing.modules import conftest_module

_trading = conftest_module(
    Path(__file__).parents[1] / "trading" / "conftest.py", "tests.trading.conftest"
)
trading = _trading.trading
executor_overrides = _trading.executor_overrides
