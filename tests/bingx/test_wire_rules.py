"""BingX's wire rules against the simulator in strict mode (its default), over real sockets:
lost answers settled by query, edge refusals, clock skew, spellings, signatures."""

import time
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from fleet.bingx import BingxClient, LocalHmacSigner, Signature, Transport
from fleet.bingx.errors import AuthError, OrderNotFound, RateLimited
from fleet.events.trading import OrderIntended
from fleet.executor.adapters.bingx_account import BingxAccount
from fleet.testing.budgets import PausingBudget
from fleet.testing.orders import btc_entry

pytestmark = pytest.mark.integration

ORDER = "/openApi/swap/v2/trade/order"


async def new_keys(sim: Any) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        answer = await http.post("/sim/accounts", json={"balance": "10000"})
        answer.raise_for_status()
        return dict(answer.json())


async def faults(sim: Any, **plan: Any) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        (await http.post("/sim/faults", json=plan)).raise_for_status()


def client_for(sim: Any, keys: dict[str, str], **knobs: Any) -> BingxClient:
    signer = LocalHmacSigner(keys["apiKey"], keys["secretKey"])
    return BingxClient(Transport(sim.url, signer, **knobs))


@pytest.fixture
async def keys(bingx_sim: Any) -> dict[str, str]:
    return await new_keys(bingx_sim)


@pytest.fixture
async def client(bingx_sim: Any, keys: dict[str, str]) -> AsyncIterator[BingxClient]:
    client = client_for(bingx_sim, keys)
    yield client
    await client.close()


def entry(quantity: str = "0.01") -> OrderIntended:
    return btc_entry(
        quantity=quantity, client_order_id="fl" + uuid.uuid4().hex + "abcdef", signal_id="s1"
    )


async def test_a_502_to_an_order_bingx_executed_is_settled_by_query_never_resent(
    bingx_sim: Any, client: BingxClient
) -> None:
    await faults(bingx_sim, bad_gateway_after_accept=1)
    intent = entry()
    placed = await BingxAccount(client).place(intent)
    assert placed.client_order_id == intent.client_order_id
    assert placed.executed_quantity == Decimal("0.01") and placed.average_price is not None
    orders = await client.order_history("BTC-USDT")
    positions = await client.positions("BTC-USDT")
    print("orders", len(orders), "positions", [(p.position_side, p.amount) for p in positions])
    assert len(orders) == 1 and len(positions) == 1 and positions[0].amount == Decimal("0.01")


@pytest.mark.parametrize(
    ("status", "kind"), [(429, "RateLimited"), (418, "Banned"), (403, "Banned")]
)
async def test_a_bare_edge_refusal_is_typed_and_pauses_the_address(
    bingx_sim: Any, keys: dict[str, str], status: int, kind: str
) -> None:
    budget = PausingBudget()
    client = client_for(bingx_sim, keys, budget=budget)
    await client.sync_clock()
    await faults(bingx_sim, bare_status=status, bare_status_count=1)
    with pytest.raises(RateLimited) as raised:
        await client.place_order("BTC-USDT", "BUY", "LONG", "MARKET", Decimal("0.01"))
    assert type(raised.value).__name__ == kind and raised.value.http_status == status
    print(f"HTTP {status}: paused for {budget.paused_for():.0f} s")
    assert budget.paused_for() > 0
    await client.close()


@pytest.mark.parametrize("skew_s", [3.0, -3.0])
async def test_a_skewed_client_clock_loses_no_order(
    bingx_sim: Any, keys: dict[str, str], skew_s: float
) -> None:
    client = client_for(bingx_sim, keys, clock=lambda: time.time() + skew_s)
    account = BingxAccount(client)
    for _ in range(3):
        placed = await account.place(entry())
        assert placed.exchange_order_id  # accepted (its fill is reported apart)
    clock = client.transport.server_clock
    print(f"skew {skew_s:+} s: offset {clock.offset_ms} ms, rtt {clock.rtt_ms} ms")
    assert clock.syncs == 1  # measured once at start; no 100421 afterwards
    assert len(await client.order_history("BTC-USDT")) == 3
    await client.close()


async def test_strict_query_takes_only_the_documented_spelling(
    bingx_sim: Any, client: BingxClient
) -> None:
    intent = entry()
    await BingxAccount(client).place(intent)
    found = await client.query_order("BTC-USDT", client_order_id=intent.client_order_id)
    assert found.client_order_id == intent.client_order_id
    params = {"symbol": "BTC-USDT", "clientOrderID": intent.client_order_id}
    with pytest.raises(OrderNotFound):
        await client.transport.signed("GET", ORDER, params)


class UppercaseSigner(LocalHmacSigner):
    async def sign(self, payload: str) -> Signature:
        signature = await super().sign(payload)
        return Signature(signature.signature.upper(), signature.api_key)


async def test_strict_signatures_are_lowercase_hex_and_balances_carry_usdc(
    bingx_sim: Any, keys: dict[str, str], client: BingxClient
) -> None:
    shouting = BingxClient(
        Transport(bingx_sim.url, UppercaseSigner(keys["apiKey"], keys["secretKey"]))
    )
    with pytest.raises(AuthError, match="100001"):
        await shouting.positions()
    await shouting.close()
    assert (await client.balance()).balance == Decimal("10000.0000")
    assert (await client.balance("USDC")).balance == 0
