"""BingX's user-data stream wakes the owner: with polling as good as off (an hour), a
trade placed by hand in BingX's app still appears in the log within seconds, marked
manual; Fleet's own orders do not wake anything."""

from decimal import Decimal

import pytest

from fleet.events.trading import PositionOpened

from .conftest import Trading, eventually, metric, trade_events

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def executor_overrides() -> dict[str, str]:
    return {"FLEET_POLL_INTERVAL_S": "3600"}


async def test_a_hand_trade_is_seen_through_the_user_stream(trading: Trading) -> None:
    keys = await trading.trader()

    async def streaming() -> bool:
        return await metric(trading.executor, "executor_user_streams") >= 1

    await eventually(streaming, timeout=15)
    woken = await metric(trading.executor, "executor_user_stream_wakeups_total")
    body = {"apiKey": keys.api_key, "symbol": "ETH-USDT", "side": "LONG", "quantity": "2"}
    await trading.sim_api("POST", "/sim/positions", body)

    async def opened() -> list[PositionOpened]:
        found = trade_events(await trading.events("account", keys.user_id))
        return [e for e in found if isinstance(e, PositionOpened)]

    [manual] = await eventually(opened, timeout=10)  # the next poll is an hour away
    assert manual.manual and manual.direction == "long" and manual.quantity == Decimal(2)
    assert await metric(trading.executor, "executor_user_stream_wakeups_total") == woken + 1
