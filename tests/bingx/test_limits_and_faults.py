"""Rate limits by UID and by source address, attached stops, faults, unknown outcomes."""

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest

from fleet.bingx import BingxClient, LocalHmacSigner, Transport
from fleet.bingx.errors import RateLimited, Retryable, UnknownOutcome

pytestmark = pytest.mark.integration


async def account(sim: Any) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        return dict((await http.post("/sim/accounts", json={"balance": "100000"})).json())


def client_from(
    sim: Any, keys: dict[str, str], source_ip: str = "127.0.0.1", timeout: float = 10.0
) -> BingxClient:
    signer = LocalHmacSigner(keys["apiKey"], keys["secretKey"])
    return BingxClient(Transport(sim.url, signer, source_address=source_ip, timeout_s=timeout))


async def faults(sim: Any, **plan: Any) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        (await http.post("/sim/faults", json=plan)).raise_for_status()


async def test_per_uid_order_limit_is_five_per_second(bingx_sim: Any) -> None:
    client = client_from(bingx_sim, await account(bingx_sim))
    results = await asyncio.gather(
        *(client.place_order("XRP-USDT", "BUY", "LONG", "MARKET", Decimal(10)) for _ in range(7)),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, RateLimited)]
    assert len(refused) == 2 and all(r.code == 100410 for r in refused)
    await client.close()


async def test_source_addresses_are_counted_separately(bingx_sim: Any) -> None:
    first = client_from(bingx_sim, await account(bingx_sim), "127.0.0.2")
    second = client_from(bingx_sim, await account(bingx_sim), "127.0.0.3")
    for client in (first, second):
        for _ in range(4):
            await client.balance()
    state = await first.positions()
    assert state == []
    await first.close()
    await second.close()


async def test_attached_stop_loss_becomes_a_conditional_order(bingx_sim: Any) -> None:
    client = client_from(bingx_sim, await account(bingx_sim))
    await client.place_order(
        "BTC-USDT",
        "BUY",
        "LONG",
        "MARKET",
        Decimal("0.01"),
        stop_loss=Decimal(1000),
        take_profit=Decimal(10_000_000),
    )
    kinds = sorted(o.type for o in await client.open_orders("BTC-USDT"))
    assert kinds == ["STOP_MARKET", "TAKE_PROFIT_MARKET"]
    await client.close()


async def test_answer_lost_after_accept_is_an_unknown_outcome(bingx_sim: Any) -> None:
    client = client_from(bingx_sim, await account(bingx_sim), timeout=1.0)
    await faults(bingx_sim, timeout_after_accept=1)
    with pytest.raises(UnknownOutcome):
        await client.place_order(
            "ETH-USDT", "BUY", "LONG", "MARKET", Decimal("0.1"), client_order_id="fl-lost-1"
        )
    # the order exists: the clientOrderID finds it, it must never be re-sent
    found = await client.query_order("ETH-USDT", client_order_id="fl-lost-1")
    assert found.status == "FILLED"
    await client.close()


async def test_injected_errors_are_retried_for_reads(bingx_sim: Any) -> None:
    client = client_from(bingx_sim, await account(bingx_sim))
    await faults(bingx_sim, error_rate=1.0)
    with pytest.raises(Retryable):
        await client.latest_price("BTC-USDT")
    await faults(bingx_sim, error_rate=0.0)
    assert await client.latest_price("BTC-USDT") > 0
    await client.close()
