"""The chaos campaign runs on the trading path of ``tests/trading`` (NATS, OpenBao, the
BingX simulator, vault and executor processes), whose fixtures are reused from
``tests/trading/conftest.py``; the test adds the strategy, auth, the gateway and notify.

The executor runs as in production here: with its rate budgets (per UID, per egress
address) on. The trading tests switch them off to set users up fast; the simulator
enforces BingX's limits either way: without the budgets, the restarted executor's order
queries after a SIGKILL got the address banned (418) in 3 runs of 5 (a bug since fixed:
a refused query made every later report ask about every order again)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet.testing.modules import conftest_module

_trading = conftest_module(
    Path(__file__).parents[1] / "trading" / "conftest.py", "tests.trading.conftest"
)
trading = _trading.trading


@pytest.fixture(scope="module")
def executor_overrides() -> dict[str, str]:
    return {"FLEET_RATE_LIMITS": "true"}
