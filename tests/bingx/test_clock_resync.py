"""BingX's clock against the strict simulator: measured before the first signed request,
and measured again on a 100421 whatever the call (a setter too, not only an order), the
refused request sent once more — BingX did nothing with it."""

import time
from typing import Any

import httpx
import pytest

from fleet.bingx import BingxClient, LocalHmacSigner, Transport

pytestmark = pytest.mark.integration


async def test_a_clock_that_jumps_after_the_sync_costs_one_resync_even_on_a_setter(
    bingx_sim: Any,
) -> None:
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        keys = (await http.post("/sim/accounts", json={})).json()
    jump = {"s": 0.0}
    client = BingxClient(
        Transport(
            bingx_sim.url,
            LocalHmacSigner(keys["apiKey"], keys["secretKey"]),
            clock=lambda: time.time() + jump["s"],
        )
    )
    await client.set_leverage("BTC-USDT", "LONG", 3)  # measured first: no 100421
    clock = client.transport.server_clock
    assert clock.syncs == 1
    jump["s"] = 10.0  # the host's clock jumps 10 s ahead (strict: > 1 s ahead is refused)
    await client.set_leverage("BTC-USDT", "SHORT", 4)  # 100421, resync, sent once more
    await client.set_hedge_mode(True)
    print(f"after a 10 s jump: {clock.syncs} syncs, offset {clock.offset_ms} ms")
    assert clock.syncs == 2 and -10_500 < clock.offset_ms < -9_500
    leverage = await client.leverage("BTC-USDT")
    assert (leverage.long_leverage, leverage.short_leverage) == (3, 4)
    await client.close()
