"""BingX's 109201 ("the same order submitted twice within 1 s") means the first may have
filled: the order flow, through the BingX adapter, adopts the order BingX holds under that
clientOrderID instead of recording a rejection, and never sends it again."""

from decimal import Decimal
from typing import Any, cast

import pytest

from fleet.bingx import BingxClient
from fleet.bingx.errors import DuplicateClientOrderId
from fleet.bingx.models import Order
from fleet.events.trading import OrderAccepted
from fleet.executor.adapters.bingx_account import BingxAccount
from fleet.executor.domain.risk_gate import Caps, GateView
from fleet.executor.order_flow import submit
from fleet.risk import Instrument
from fleet.testing.orders import btc_entry

pytestmark = pytest.mark.unit

INTENT = btc_entry("1")
BTC = Instrument(Decimal("0.001"), Decimal("0.001"), Decimal(2), 125, Decimal("0.1"), "BTC-USDT")
GATE = GateView("active", "", Caps(Decimal(10_000), Decimal(50_000), 20), (), {"BTC-USDT": BTC})
HELD = {  # what GET /trade/order answers for the first, filled submission
    "orderId": 1735950529123455088,
    "clientOrderId": INTENT.client_order_id,
    "symbol": "BTC-USDT",
    "side": "BUY",
    "positionSide": "LONG",
    "type": "MARKET",
    "status": "FILLED",
    "avgPrice": "60000.5",
    "executedQty": "0.0100",
}


class TwiceWithinASecond:
    """A BingX that answers the placement 109201 and holds the first submission."""

    def __init__(self) -> None:
        self.placed = self.queried = 0

    async def place_order(self, *_args: Any, **_kwargs: Any) -> Order:
        self.placed += 1
        raise DuplicateClientOrderId("order submitted repeatedly within 1 s", 109201)

    async def query_order(self, *_args: Any, **_kwargs: Any) -> Order:
        self.queried += 1
        return Order.parse(HELD)


async def test_a_109201_adopts_the_order_bingx_holds() -> None:
    bingx = TwiceWithinASecond()
    outcome = await submit(BingxAccount(cast(BingxClient, bingx)), INTENT, GATE, Decimal(60000))
    assert isinstance(outcome, OrderAccepted), outcome
    assert outcome.exchange_order_id == "1735950529123455088"
    assert outcome.executed_quantity == Decimal("0.0100") and outcome.status == "FILLED"
    assert (bingx.placed, bingx.queried) == (1, 1)  # never sent again
