"""The BingX adapter's translation of the wire's answers into what the order flow does."""

from decimal import Decimal
from typing import Any, cast

import pytest

from fleet.bingx import BingxClient
from fleet.bingx.errors import Banned, BingxError, OrderNotFound, UnknownOutcome
from fleet.bingx.models import Order
from fleet.executor.adapters.bingx_account import (
    BingxAccount,
    income_funding,
    stream_funding,
    stream_report,
)
from fleet.executor.ports import OrderRefused, OutcomeUnknown
from fleet.testing.orders import btc_entry

pytestmark = pytest.mark.unit

INTENT = btc_entry("0")
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


async def test_bingx_s_own_place_answer_is_an_accepted_order_and_no_fill() -> None:
    client = ScriptedClient(PLACED, [])
    placed = await account(client).place(INTENT)
    assert placed.exchange_order_id == "1735950529123455088"
    assert placed.executed_quantity == 0 and placed.average_price is None
    assert client.placed == 1 and client.queried == 0  # fills come by stream or query


def test_an_order_trade_update_is_read_as_its_last_fill() -> None:
    # BingX's recorded ORDER_TRADE_UPDATE (API.md §6.3), with the last fill named
    message = {
        "e": "ORDER_TRADE_UPDATE",
        "E": 1696843635475,
        "o": {
            "s": "LTC-USDT", "c": "FLabc", "i": "1711312357852147712", "S": "BUY",
            "o": "MARKET", "q": "0.10000000", "p": "64.35010000", "ap": "64.36000000",
            "x": "TRADE", "X": "FILLED", "N": "USDT", "n": "-0.00321800", "T": 0,
            "wt": "MARK_PRICE", "ps": "LONG", "rp": "0.00000000", "z": "0.10000000",
            "l": "0.10000000", "L": "64.36000000",
        },
    }  # fmt: skip
    report = stream_report(message)
    assert report is not None and report.client_order_id == "flabc"
    assert report.exchange_order_id == "1711312357852147712" and report.status == "FILLED"
    assert report.cumulative_quantity == Decimal("0.1") and report.fee == Decimal("0.003218")
    assert report.last_price == Decimal("64.36") and report.realised_pnl == 0
    assert report.at.timestamp() == 1696843635.475  # T 0: the event's time
    assert stream_report({"e": "ORDER_TRADE_UPDATE", "o": {"z": "x"}}) is None


def test_a_funding_fee_on_the_stream_and_in_the_income_history_become_events() -> None:
    balances = [{"a": "USDT", "wb": "117.8", "cw": "95.2", "bc": "-0.0123"}]
    cross = {
        "e": "ACCOUNT_UPDATE",
        "E": 1758608899352,
        "a": {
            "m": "FUNDING_FEE",
            "B": balances,
        },
    }
    [paid] = stream_funding(cross)
    assert paid.amount == Decimal("-0.0123") and paid.symbol is None and paid.asset == "USDT"
    assert stream_funding(cross) == [paid]  # the same update, the same funding id
    ordered = {"e": "ACCOUNT_UPDATE", "E": 1, "a": {"m": "ORDER", "B": balances}}
    assert stream_funding(ordered) == []
    row = {
        "symbol": "BTC-USDT", "incomeType": "FUNDING_FEE", "income": "0.0450", "asset": "USDT",
        "info": "Funding Fee", "time": 1702713615000, "tranId": "170271361500", "tradeId": "",
    }  # fmt: skip
    by_income = income_funding(row)
    assert by_income is not None and by_income.amount == Decimal("0.045")
    assert by_income.symbol == "BTC-USDT" and by_income.funding_id == "income-170271361500"
    assert income_funding(row | {"incomeType": "TRADING_FEE"}) is None


async def test_a_banned_address_refuses_the_order_without_retrying() -> None:
    client = ScriptedClient(Banned("HTTP 418", None, 418, 300.0), [])
    with pytest.raises(OrderRefused):
        await account(client).place(INTENT)
    assert client.placed == 1
