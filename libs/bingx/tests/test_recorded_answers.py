"""BingX's answers as recorded in the spec (/work/shared/bingx/API.md §3, §4, §6) and the
documented samples it cites, written out as facts, served by a transport that sends
nothing: each test parses them with the real client, envelope and error mapping included."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest

from fleet.bingx import BingxClient, LocalHmacSigner, Transport
from fleet.bingx.errors import (
    Banned,
    DuplicateClientOrderId,
    ListenKeyGone,
    MalformedAnswer,
    RateLimited,
    Retryable,
    UnknownOutcome,
    rate_code_cool_down,
)
from fleet.bingx.signing import ParamValue
from fleet.bingx.transport import RESYNC_S, _unwrap
from fleet.testing.budgets import PausingBudget

Answer = tuple[int, bytes]


def envelope(data: Any, code: int | str = 0) -> Answer:
    return 200, json.dumps(
        {"code": code, "msg": "", "timestamp": 1720074487610, "data": data}
    ).encode()


SERVER_TIME = envelope({"serverTime": 1720074487610})

USDT_ROW = {
    "userId": "116***295",
    "asset": "USDT",
    "balance": "194.8212",
    "equity": "196.7431",
    "unrealizedProfit": "1.9219",
    "realisedProfit": "-109.2504",
    "availableMargin": "193.7609",
    "usedMargin": "1.0602",
    "freezedMargin": "0.0000",
    "shortUid": "12851936",
}
# BingX.Net's recording: a USDC row whose every number is "".
USDC_ROW = {
    "userId": "116***295",
    "asset": "USDC",
    "balance": "",
    "equity": "",
    "unrealizedProfit": "",
    "realisedProfit": "",
    "availableMargin": "",
    "usedMargin": "",
    "freezedMargin": "",
    "shortUid": "12851936",
}

# allFillOrders rows as recorded: no side, no positionSide; the ids in either spelling.
FILL_ROW = {
    "filledTm": "2023-12-16T20:58:36Z",
    "volume": "0.0010",
    "price": "42117.6",
    "amount": "42.1176",
    "commission": "-0.02105880",
    "currency": "USDT",
    "orderId": "1736007768247865344",
    "liquidatedPrice": "",
    "liquidatedMarginRatio": "",
    "filledTime": "2023-12-16T20:58:36.000+0800",
    "clientOrderID": "fleet-abc",
    "symbol": "BTC-USDT",
}
FILL_ROW_OTHER_SPELLING = {
    "volume": "0.0010",
    "price": "42200",
    "commission": "-0.021",
    "orderID": 1736007768247865345,
    "clientOrderId": "fleet-def",
    "symbol": "BTC-USDT",
    "side": "SELL",
    "positionSide": "LONG",
}

CONTRACT_ROW = {
    "contractId": "100",
    "symbol": "BTC-USDT",
    "size": "0.0001",
    "quantityPrecision": 4,
    "pricePrecision": 1,
    "feeRate": 0.0005,
    "makerFeeRate": 0.0002,
    "takerFeeRate": 0.0005,
    "tradeMinLimit": 0,
    "tradeMinQuantity": 0.0001,
    "tradeMinUSDT": 2,
    "maxLongLeverage": 125,
    "maxShortLeverage": 125,
    "currency": "USDT",
    "asset": "BTC",
    "status": 1,
    "apiStateOpen": "true",
    "apiStateClose": "true",
    "ensureTrigger": True,
    "triggerFeeRate": "0.00020000",
    "brokerState": False,
    "launchTime": 1586275200000,
    "maintainTime": 0,
    "offTime": 0,
    "displayName": "BTC-USDT",
}

# The place-order answer (doc25, ccxt, bxnet): no status, no fill fields.
PLACED = {
    "order": {
        "symbol": "BTC-USDT",
        "orderId": 1735950529123455088,
        "side": "BUY",
        "positionSide": "LONG",
        "type": "MARKET",
        "clientOrderID": "",
        "workingType": "MARK_PRICE",
    }
}

LISTEN_KEY = (
    200,
    b'{"listenKey":"a8ea75681542e66f1a50a1616dd06ed77dab61baa0c296bca03a9b13ee5f2dd7"}',
)


class RecordedTransport(Transport):
    """Answers each ``METHOD path`` with a recorded answer; remembers what was asked."""

    def __init__(self, answers: dict[str, Answer | list[Answer]]) -> None:
        super().__init__("http://recorded.invalid", LocalHmacSigner("key", "secret"))
        self.answers: dict[str, Answer | list[Answer]] = {
            "GET /openApi/swap/v2/server/time": SERVER_TIME,
            **answers,
        }
        self.asked: list[tuple[str, str, dict[str, ParamValue]]] = []

    async def _exchange(
        self, method: str, path: str, params: dict[str, ParamValue], sign: bool
    ) -> Any:
        self.asked.append((method, path, params))
        answer = self.answers[f"{method} {path}"]
        if isinstance(answer, list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        status, raw = answer
        return _unwrap(status, raw, method, path)


def recorded_client(
    answers: dict[str, Answer | list[Answer]],
) -> tuple[BingxClient, RecordedTransport]:
    transport = RecordedTransport(answers)
    return BingxClient(transport), transport


pytestmark = pytest.mark.unit

BALANCE = "GET /openApi/swap/v3/user/balance"
FILLS = "GET /openApi/swap/v2/trade/allFillOrders"
ORDER = "/openApi/swap/v2/trade/order"
LISTEN = "/openApi/user/auth/userDataStream"


async def test_balance_picks_the_usdt_row_whatever_the_usdc_row_holds() -> None:
    client, _ = recorded_client({BALANCE: envelope([USDC_ROW, USDT_ROW])})
    balance = await client.balance()
    assert balance.asset == "USDT" and balance.equity == Decimal("196.7431")
    usdc = await client.balance("USDC")
    assert usdc.balance == 0 and usdc.available_margin == 0


async def test_balance_on_the_demo_reads_the_vst_row_and_no_row_is_a_typed_error() -> None:
    client, _ = recorded_client({BALANCE: envelope([USDC_ROW, USDT_ROW | {"asset": "VST"}])})
    assert (await client.balance()).asset == "VST"
    client, _ = recorded_client({BALANCE: envelope([USDC_ROW])})
    with pytest.raises(MalformedAnswer):
        await client.balance()


async def test_fill_rows_without_side_in_both_spellings_and_null_lists() -> None:
    client, _ = recorded_client(
        {FILLS: envelope({"fill_orders": [FILL_ROW, FILL_ROW_OTHER_SPELLING]})}
    )
    first, second = await client.fills("BTC-USDT", 0, 1)
    assert first.side is None and first.position_side is None
    assert first.order_id == "1736007768247865344" and first.client_order_id == "fleet-abc"
    assert first.quantity == Decimal("0.0010") and first.commission == Decimal("-0.02105880")
    assert second.order_id == "1736007768247865345" and second.client_order_id == "fleet-def"
    assert second.side == "SELL"
    client, _ = recorded_client({FILLS: envelope({"fill_orders": None})})
    assert await client.fills("BTC-USDT", 0, 1) == []
    client, _ = recorded_client({FILLS: envelope(None)})
    assert await client.fills("BTC-USDT", 0, 1) == []


async def test_contracts_survive_a_row_without_min_notional_and_say_which_trade() -> None:
    rows = [
        CONTRACT_ROW,
        {k: v for k, v in CONTRACT_ROW.items() if k != "tradeMinUSDT"} | {"symbol": "ETH-USDT"},
        CONTRACT_ROW | {"symbol": "OLD-USDT", "status": 0},
        CONTRACT_ROW | {"symbol": "SHUT-USDT", "apiStateOpen": "false"},
        {"symbol": "BROKEN-USDT"},
    ]
    client, _ = recorded_client({"GET /openApi/swap/v2/quote/contracts": envelope(rows)})
    contracts = {c.symbol: c for c in await client.contracts()}
    assert set(contracts) == {"BTC-USDT", "ETH-USDT", "OLD-USDT", "SHUT-USDT"}
    assert contracts["ETH-USDT"].min_notional == 0 and contracts["BTC-USDT"].min_notional == 2
    assert [s for s, c in contracts.items() if c.tradable] == ["BTC-USDT", "ETH-USDT"]


async def test_the_place_order_answer_and_one_without_an_order_id() -> None:
    client, _ = recorded_client({f"POST {ORDER}": envelope(PLACED)})
    order = await client.place_order("BTC-USDT", "BUY", "LONG", "MARKET", Decimal("0.001"))
    assert order.order_id == "1735950529123455088" and order.executed_quantity == 0
    no_id = {"order": {k: v for k, v in PLACED["order"].items() if k != "orderId"}}
    client, _ = recorded_client({f"POST {ORDER}": envelope(no_id)})
    with pytest.raises(MalformedAnswer):
        await client.place_order("BTC-USDT", "BUY", "LONG", "MARKET", Decimal("0.001"))


async def test_query_and_cancel_spell_client_order_id_the_documented_way() -> None:
    order = envelope({"order": PLACED["order"] | {"clientOrderId": "fleet-x", "status": "FILLED"}})
    client, transport = recorded_client({f"GET {ORDER}": order, f"DELETE {ORDER}": order})
    await client.query_order("BTC-USDT", client_order_id="fleet-x")
    await client.cancel_order("BTC-USDT", client_order_id="fleet-x")
    sent = [params for _, path, params in transport.asked if path == ORDER]
    assert all(params.get("clientOrderId") == "fleet-x" for params in sent) and len(sent) == 2
    assert all("clientOrderID" not in params for params in sent)


async def test_listen_key_empty_200_is_success_and_404_is_gone() -> None:
    client, _ = recorded_client(
        {f"POST {LISTEN}": LISTEN_KEY, f"PUT {LISTEN}": (200, b""), f"DELETE {LISTEN}": (200, b"")}
    )
    key = await client.create_listen_key()
    assert len(key) == 64
    await client.keep_alive_listen_key(key)
    await client.delete_listen_key(key)
    client, _ = recorded_client({f"PUT {LISTEN}": (404, b"")})
    with pytest.raises(ListenKeyGone):
        await client.keep_alive_listen_key(key)


async def test_code_as_text_is_success() -> None:
    client, _ = recorded_client(
        {"GET /openApi/swap/v1/positionSide/dual": envelope({"dualSidePosition": "true"}, code="0")}
    )
    assert await client.hedge_mode() is True


def _error(code: int) -> Answer:
    return 200, json.dumps({"code": code, "msg": "x", "timestamp": 1}).encode()


@pytest.mark.parametrize(
    ("answer", "kind", "cool_down"),
    [
        ((429, b"Too Many Requests"), RateLimited, True),
        ((418, b"<html>banned</html>"), Banned, True),
        ((403, b"<html>403 Forbidden</html>"), Banned, True),
        ((502, b"<html>502 Bad Gateway</html>"), UnknownOutcome, False),
        ((503, b""), UnknownOutcome, False),
        (_error(109201), DuplicateClientOrderId, False),
        (_error(109429), RateLimited, False),
        (_error(100410), RateLimited, True),
        (_error(109500), Retryable, False),
        ((200, b"<html>"), MalformedAnswer, False),
    ],
)
async def test_what_bingx_answers_an_order_becomes_what_the_caller_must_do(
    answer: Answer, kind: type[Exception], cool_down: bool
) -> None:
    client, _ = recorded_client({f"POST {ORDER}": answer})
    with pytest.raises(kind) as raised:
        await client.place_order("BTC-USDT", "BUY", "LONG", "MARKET", Decimal("0.001"))
    if cool_down:
        assert isinstance(raised.value, RateLimited) and raised.value.cool_down_s > 0


async def test_an_http_refusal_pauses_the_whole_budget() -> None:
    budget = PausingBudget()
    transport = RecordedTransport({BALANCE: (429, b"Too Many Requests")})
    transport._budget = budget
    with pytest.raises(RateLimited):
        await BingxClient(transport).balance()
    assert budget.paused_for() > 5


async def test_a_100410_pauses_the_address_until_bingx_says_and_only_then_retries_a_read() -> None:
    until = int(time.time() * 1000) + 60_000
    unblocked = json.dumps(
        {"code": 100410, "msg": f"frequency limit, unblocked after {until}", "timestamp": 1}
    ).encode()
    budget = PausingBudget()
    transport = RecordedTransport({BALANCE: (200, unblocked)})
    transport._budget = budget
    with pytest.raises(RateLimited) as raised:
        await BingxClient(transport).balance()
    assert 55 < raised.value.cool_down_s <= 60 and budget.paused_for() > 55
    asked = [p for _, p, _ in transport.asked if p.endswith("/user/balance")]
    assert len(asked) == 1  # a long pause: the read is not sent again into it

    budget = PausingBudget()
    transport = RecordedTransport({BALANCE: [_error(100410), envelope([USDT_ROW])]})
    transport._budget = budget
    await BingxClient(transport).balance()  # one second's pause, waited out, then retried
    asked = [p for _, p, _ in transport.asked if p.endswith("/user/balance")]
    assert len(asked) == 2


def test_the_pause_after_a_100410_is_bounded() -> None:
    now = 1_767_225_600_000
    assert rate_code_cool_down("rate limit exceeded", now) == 1.0
    assert rate_code_cool_down(f"unblocked after {now + 12_500}", now) == 12.5
    assert rate_code_cool_down(f"unblocked after {now + 86_400_000}", now) == 300.0
    assert rate_code_cool_down(f"unblocked after {now - 5_000}", now) == 1.0


async def test_the_clock_is_synced_before_the_first_signed_request_and_after_any_100421() -> None:
    client, transport = recorded_client(
        {
            BALANCE: [_error(100421), envelope([USDT_ROW])],
            "GET /openApi/swap/v2/trade/leverage": [
                _error(100421),
                envelope({"longLeverage": 5, "shortLeverage": 5}),
            ],
        }
    )
    await client.balance()
    await client.leverage("BTC-USDT")
    times = [p for _, p, _ in transport.asked if p.endswith("/server/time")]
    print("server time asked", len(times), "times; offset", transport.clock_offset_ms)
    assert len(times) == 3  # at start, then once per 100421
    assert transport.server_clock.syncs == 3


async def test_the_clock_is_measured_again_once_older_than_the_resync_period() -> None:
    client, transport = recorded_client({BALANCE: envelope([USDT_ROW])})
    await client.balance()
    await client.balance()
    assert transport.server_clock.syncs == 1  # fresh: no second measurement
    assert transport.server_clock.synced_at is not None
    transport.server_clock.synced_at -= RESYNC_S + 1  # as if the period had gone by
    await client.balance()
    assert transport.server_clock.syncs == 2
