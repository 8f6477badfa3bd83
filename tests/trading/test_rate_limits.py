"""A 500-user fan-out under BingX's limits (per UID and per source IP, enforced by the
simulator), from four egress identities (127.0.0.2-5): every order is placed, and the
simulator refuses nothing with the rate-limit code. The suite runs 500 users (the same
assertions, half the set-up); ``FLEET_FANOUT_USERS=1000`` runs 1,000, and
``bench/fanout.py`` prints the 1,000-user figures, the share of the per-IP cap among them."""

import asyncio
import json
import os
import time
from collections.abc import Awaitable
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import pytest

from fleet.events.executor_commands import StartBot
from fleet.events.trading import (
    ExchangeConfigured,
    OrderAccepted,
    OrderRejected,
    SignalEvaluated,
)

from .conftest import TraderKeys, Trading

# a 500-user set-up and fan-out at BingX's pace: ~50 s alone, more on a busy machine
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

USERS = int(os.environ.get("FLEET_FANOUT_USERS", "500"))
EGRESS = "127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5"
T = TypeVar("T")


@pytest.fixture(scope="module")
def executor_overrides() -> dict[str, str]:
    return {
        "FLEET_RATE_LIMITS": "true",
        "FLEET_EGRESS": json.dumps(EGRESS.split(",")),
        "FLEET_PARTITIONS": "8",
        "FLEET_POLL_INTERVAL_S": "3600",
    }


async def bounded(work: list[Awaitable[T]], limit: int = 32) -> list[T]:
    gate = asyncio.Semaphore(limit)

    async def one(job: Awaitable[T]) -> T:
        async with gate:
            return await job

    return await asyncio.gather(*(one(job) for job in work))


async def count(trading: Trading, traders: list[TraderKeys], kind: type[Any]) -> int:
    async def has(keys: TraderKeys) -> bool:
        return any(isinstance(e, kind) for e in await trading.events("account", keys.user_id))

    return sum(await bounded([has(k) for k in traders], 64))


async def test_five_hundred_users_fan_out_without_one_rate_limit_refusal(trading: Trading) -> None:
    await trading.sim_api("POST", "/sim/limits", {"enabled": False})  # fast set-up only
    traders = await bounded(
        [trading.trader(start=False, risk_per_trade=Decimal(1)) for _ in range(USERS)]
    )
    await trading.sim_api("POST", "/sim/limits", {"enabled": True})
    started = await bounded([trading.ask(StartBot(user_id=k.user_id)) for k in traders])
    refused = [reply for reply in started if not reply["ok"]]
    assert not refused, (len(refused), refused[:2])
    # each owner sets leverage and position mode per user under the budget, before signals
    await reach(trading, traders, ExchangeConfigured, timeout=120)

    await trading.signal("BTC-USDT", "up")
    await reach(trading, traders, SignalEvaluated, timeout=90)
    await reach(trading, traders, OrderAccepted, timeout=90)

    limits = await trading.sim_api("GET", "/sim/limits")
    assert (limits["enabled"], limits["refused"]) == (True, 0)
    assert len(limits["sources"]) == USERS  # every account was called since limits came on
    assert await count(trading, traders, OrderRejected) == 0


async def reach(
    trading: Trading, traders: list[TraderKeys], kind: type[Any], timeout: float
) -> None:
    """Wait until every trader has an event of ``kind``; say how many had when not."""
    deadline = time.monotonic() + timeout
    while (counted := await count(trading, traders, kind)) < USERS:
        if time.monotonic() > deadline:
            state = await executor_metrics(trading)
            raise AssertionError(f"{kind.__name__}: {counted} of {USERS} users; {state}")
        await asyncio.sleep(2)


async def executor_metrics(trading: Trading) -> list[str]:
    """The executor's own account of what it is doing (for a failure message)."""
    async with httpx.AsyncClient(base_url=trading.executor.url) as http:
        text = (await http.get("/metrics")).text
    return [
        line for line in text.splitlines() if line.startswith("executor_") and "_bucket" not in line
    ]
