"""The BingX adapter's translation of the wire's answers into what the order flow does."""

from decimal import Decimal
from typing import Any, cast

import pytest

from fleet.bingx import BingxClient
from fleet.bingx.errors import Banned, BingxError, OrderNotFound, UnknownOutcome
from fleet.bingx.models import Order
from fleet.events.trading import OrderIntended
from fleet.executor.adapters.bingx_account import BingxAccount
from fleet.executor.ports import OrderRefused, OutcomeUnknown

pytestmark = pytest.mark.unit

INTENT = OrderIntended(
    client_order_id="fl" + "0" * 38,
    signal_id="s",
    leg="entry",
    symbol="BTC-USDT",
    side="BUY",
    position_side="LONG",
    order_type="MARKET",
    quantity=Decimal("0.01"),
    leverage=5,
)
PLACED = {
    "orderId": 1735950529123455088,
    "clientOrderID": INTENT.client_order_id,
    "symbol": "BTC-USDT",
    "side": "BUY",
    "positionSide": "LONG",
    "type": "MARKET",
}


class ScriptedClient:
    """Answers place and query from a script; counts what was sent."""

    def __init__(self, placing: BingxError | dict[str, Any], found: list[Any]) -> None:
        self.placing, self.found = placing, found
        self.placed = self.queried = 0

    async def place_order(self, *_args: Any, **_kwargs: Any) -> Order:
        self.placed += 1
        if isinstance(self.placing, BingxError):
            raise self.placing
        return Order.parse(self.placing)

    async def query_order(self, *_args: Any, **_kwargs: Any) -> Order:
        self.queried += 1
        answer = self.found.pop(0) if len(self.found) > 1 else self.found[0]
        if isinstance(answer, BingxError):
            raise answer
        return Order.parse(answer)


def account(client: ScriptedClient) -> BingxAccount:
    return BingxAccount(cast(BingxClient, client))


async def test_a_lost_answer_bingx_never_saw_stays_unknown_and_is_never_resent() -> None:
    client = ScriptedClient(UnknownOutcome("HTTP 502"), [OrderNotFound("no", 80016)])
    with pytest.raises(OutcomeUnknown):
        await account(client).place(INTENT)
    assert client.placed == 1 and client.queried == 3


async def test_a_lost_answer_is_settled_by_the_order_bingx_holds() -> None:
    filled = PLACED | {"status": "FILLED", "avgPrice": "60000", "executedQty": "0.01"}
    client = ScriptedClient(UnknownOutcome("HTTP 502"), [OrderNotFound("no", 80016), filled])
    placed = await account(client).place(INTENT)
    assert placed.average_price == Decimal(60000) and client.placed == 1


async def test_bingx_s_own_place_answer_reads_its_fill_price_back() -> None:
    filled = PLACED | {"status": "FILLED", "avgPrice": "60000", "executedQty": "0.01"}
    client = ScriptedClient(PLACED, [filled])
    placed = await account(client).place(INTENT)
    assert placed.status == "FILLED" and placed.executed_quantity == Decimal("0.01")
    assert client.placed == 1 and client.queried == 1


async def test_a_banned_address_refuses_the_order_without_retrying() -> None:
    client = ScriptedClient(Banned("HTTP 418", None, 418, 300.0), [])
    with pytest.raises(OrderRefused):
        await account(client).place(INTENT)
    assert client.placed == 1
