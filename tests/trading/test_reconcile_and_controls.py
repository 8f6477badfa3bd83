"""Hand trades found by reconciliation, and the admin's emergency controls."""

from collections.abc import Awaitable
from decimal import Decimal

import pytest

from fleet.events.bots import FlattenDone, FlattenRequested
from fleet.events.commands import Actor
from fleet.events.executor_commands import FlattenPositions
from fleet.events.trading import PositionClosed, PositionOpened

from .conftest import TraderKeys, Trading, eventually, trade_events

pytestmark = pytest.mark.e2e

ADMIN = Actor(user_id="admin-1", role="admin", ip="127.0.0.1")


async def trades(trading: Trading, keys: TraderKeys) -> list[PositionOpened | PositionClosed]:
    return trade_events(await trading.events("account", keys.user_id))


async def test_a_hand_trade_appears_marked_manual_and_flatten_closes_it(
    trading: Trading,
) -> None:
    keys = await trading.trader()
    body = {"apiKey": keys.api_key, "symbol": "SOL-USDT", "side": "SHORT", "quantity": "3"}
    await trading.sim_api("POST", "/sim/positions", body)

    async def opened() -> list[PositionOpened]:
        found = await trades(trading, keys)
        return [e for e in found if isinstance(e, PositionOpened)]

    [manual] = await eventually(opened, timeout=5)  # the poll interval here is 1 s
    assert manual.manual and manual.direction == "short" and manual.quantity == Decimal(3)

    reply = await trading.ask(FlattenPositions(user_id=keys.user_id, actor=ADMIN))
    assert reply["ok"] and reply["data"]["users"] == 1

    async def closed() -> list[PositionClosed]:
        found = await trades(trading, keys)
        return [e for e in found if isinstance(e, PositionClosed)]

    [flattened] = await eventually(closed)
    assert flattened.reason == "flatten" and flattened.trade_id == manual.trade_id
    assert (await trading.account_state(keys))["positions"] == []
    bot_events = await trading.events("bot", keys.user_id)
    [request] = [e for e in bot_events if isinstance(e, FlattenRequested)]
    assert request.by == "admin-1"
    assert [e.closed for e in await flattens_done(trading, keys)] == [1]


async def flattens_done(trading: Trading, keys: TraderKeys) -> list[FlattenDone]:
    return [e for e in await trading.events("bot", keys.user_id) if isinstance(e, FlattenDone)]


async def test_a_flatten_asked_while_its_owner_is_dead_is_carried_out_by_the_next(
    trading: Trading,
) -> None:
    keys = await trading.trader()
    body = {"apiKey": keys.api_key, "symbol": "SOL-USDT", "side": "LONG", "quantity": "2"}
    await trading.sim_api("POST", "/sim/positions", body)

    async def found(kind: type[PositionOpened | PositionClosed]) -> list[object]:
        return [e for e in await trades(trading, keys) if isinstance(e, kind)]

    [manual] = await eventually(lambda: found(PositionOpened))
    trading.executor.kill()  # SIGKILL: nobody owns the trader now
    [asked] = await trading.append(
        "bot", keys.user_id, FlattenRequested(reason="emergency", by="admin-1")
    )
    trading.executor = trading.new_executor(trading.executor_env)  # takes the user over
    [flattened] = await eventually(lambda: found(PositionClosed))
    assert isinstance(flattened, PositionClosed)
    assert flattened.reason == "flatten" and flattened.trade_id == manual.trade_id
    assert (await trading.account_state(keys))["positions"] == []
    [done] = await eventually(lambda: flattens_done(trading, keys))
    assert (done.request_id, done.closed) == (asked.id, 1)

    # a later owner does not carry the same request out again: a new position stays open
    trading.restart_executor(kill=False)
    await trading.sim_api("POST", "/sim/positions", body)
    opened = await eventually(lambda: _two(found(PositionOpened)), timeout=20, every=0.5)
    assert len(opened) == 2
    assert len(await found(PositionClosed)) == 1 and len(await flattens_done(trading, keys)) == 1
    assert len((await trading.account_state(keys))["positions"]) == 1


async def _two(listed: Awaitable[list[object]]) -> list[object]:
    got = await listed
    return got if len(got) >= 2 else []
