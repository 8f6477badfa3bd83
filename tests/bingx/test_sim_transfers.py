"""Deposits and withdrawals in the simulator, reported as BingX reports them: an income row
``TRANSFER`` (API.md §4.2) and an ``ACCOUNT_UPDATE`` with reason ``DEPOSIT`` / ``WITHDRAW``
on the user stream (API.md §6.3)."""

import asyncio
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from fleet.bingx import BingxClient, LocalHmacSigner, Transport
from fleet.bingx.ws import UserStream

pytestmark = pytest.mark.integration
INCOME = "/openApi/swap/v2/user/income"


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_a_deposit_and_a_withdrawal_are_income_rows_and_stream_updates(
    bingx_sim: Any,
) -> None:
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        keys = (await http.post("/sim/accounts", json={"balance": "1000"})).json()
        client = BingxClient(
            Transport(bingx_sim.url, LocalHmacSigner(keys["apiKey"], keys["secretKey"]))
        )
        events: list[dict[str, Any]] = []

        async def on_event(event: dict[str, Any]) -> None:
            events.append(event)

        stream = UserStream(
            bingx_sim.ws_url,
            await client.create_listen_key(),
            on_event,
            client.keep_alive_listen_key,
        )
        runner = asyncio.create_task(stream.run())
        try:
            await until(lambda: stream.connected)
            path = f"/sim/accounts/{keys['apiKey']}/transfers"
            deposit = await http.post(path, json={"amount": "500"})
            assert deposit.status_code == 201 and deposit.json()["balance"] == "1500"
            withdrawal = await http.post(path, json={"amount": "-200.5"})
            assert withdrawal.json()["balance"] == "1299.5"
            too_much = await http.post(path, json={"amount": "-5000"})
            assert too_much.status_code == 422  # more than the wallet holds
            assert (await http.post(path, json={"amount": "0"})).status_code == 422
            unknown = await http.post("/sim/accounts/nobody/transfers", json={"amount": "1"})
            assert unknown.status_code == 404

            def updates() -> list[dict[str, Any]]:
                return [e["a"] for e in events if e["e"] == "ACCOUNT_UPDATE"]

            await until(lambda: len(updates()) == 2)
            assert [(u["m"], u["B"][0]["bc"]) for u in updates()] == [
                ("DEPOSIT", "500"),
                ("WITHDRAW", "-200.5"),
            ]
            rows = await client.transport.signed("GET", INCOME, {"incomeType": "TRANSFER"})
            assert [Decimal(r["income"]) for r in rows] == [Decimal(500), Decimal("-200.5")]
            assert len({r["tranId"] for r in rows}) == 2
            assert (await client.balance()).balance == Decimal("1299.5")
        finally:
            await stream.close()
            await asyncio.wait_for(runner, 5)
            await client.close()
