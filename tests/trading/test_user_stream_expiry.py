"""A listenKey BingX let lapse (``listenKeyExpired`` on the socket, 404 on keep-alive) is
replaced by one fresh key at the next sync, against the strict simulator; a key that
stays alive is never replaced (no churn)."""

import asyncio
from typing import Any, cast

import httpx
import pytest

from fleet.executor.streams import UserStreams
from fleet.executor.traders import Trader

from .test_user_stream_budget import seen_at, traders_on

pytestmark = pytest.mark.integration


async def test_an_expired_listen_key_is_replaced_once(bingx_sim: Any) -> None:
    traders = await traders_on(bingx_sim, "127.0.0.7", 2)

    async def reconcile(_trader: Trader) -> None:
        return None

    streams = UserStreams(
        bingx_sim.ws_url,
        lambda: cast(dict[str, Trader], traders),
        reconcile,
        limit=10,
        address_of=lambda name: name,
    )
    before = (await seen_at(bingx_sim))["listen_keys_created"]
    await streams.sync()
    keys = {u: o.stream.listen_key for u, o in streams._open.items()}
    kept = traders["u0001"].client
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        await http.post("/sim/faults", json={"listen_key_ttl_s": 1.5})
        try:
            for _ in range(20):  # every 0.5 s, as the executor does every 2 s
                await kept.keep_alive_listen_key(keys["u0001"])
                await asyncio.sleep(0.5)
                await streams.sync()
                if streams._open["u0000"].stream.listen_key != keys["u0000"]:
                    break
        finally:
            await http.post("/sim/faults", json={"listen_key_ttl_s": 3600})
    for _ in range(3):  # more syncs: nothing else replaced
        await asyncio.sleep(0.5)
        await streams.sync()
    after = {u: o.stream.listen_key for u, o in streams._open.items()}
    created = (await seen_at(bingx_sim))["listen_keys_created"] - before
    print(f"keys before {keys}, after {after}, created {created}")
    assert after["u0000"] != keys["u0000"]  # lapsed: a fresh one
    assert after["u0001"] == keys["u0001"]  # kept alive: the same
    assert created == 3  # two at start, one replacement, nothing more over eight syncs
    await streams.close_all()
    for trader in traders.values():
        await trader.client.close()
