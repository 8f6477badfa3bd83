"""User-data streams within BingX's socket limits, counted at the simulator (strict mode):
one socket per listenKey, at most ``per_egress`` per egress identity, each leaving from
its identity's address; a refused handshake never costs a new listenKey."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

import httpx
import pytest

from fleet.bingx import BingxClient, LocalHmacSigner, Transport
from fleet.executor.adapters.bingx_account import BingxAccount
from fleet.executor.streams import UserStreams
from fleet.executor.traders import Trader

pytestmark = pytest.mark.integration


@dataclass
class RunningView:
    running: bool = True


@dataclass
class StreamedTrader:
    """What :class:`UserStreams` reads of a trader (the real one also holds the log)."""

    user_id: str
    exchange: BingxAccount
    client: BingxClient
    egress: str
    view: RunningView = field(default_factory=RunningView)


async def traders_on(sim: Any, address: str, count: int) -> dict[str, StreamedTrader]:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        keys = [
            (await http.post("/sim/accounts", json={"balance": "1000"})).json()
            for _ in range(count)
        ]
    traders = {}
    for n, key in enumerate(keys):
        signer = LocalHmacSigner(key["apiKey"], key["secretKey"])
        client = BingxClient(Transport(sim.url, signer, source_address=address))
        traders[f"u{n:04d}"] = StreamedTrader(f"u{n:04d}", BingxAccount(client), client, address)
    return traders


async def seen_at(sim: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        return dict((await http.get("/sim/websockets")).json())


def streams_for(
    sim: Any,
    traders: dict[str, StreamedTrader],
    reconcile: Callable[[Trader], Awaitable[None]],
    per_egress: int,
) -> UserStreams:
    return UserStreams(
        sim.ws_url,
        lambda: cast(dict[str, Trader], traders),
        reconcile,
        limit=2000,
        per_egress=per_egress,
        address_of=lambda name: name,
    )


async def test_300_traders_on_one_identity_stay_within_its_sockets(bingx_sim: Any) -> None:
    address = "127.0.0.2"
    traders = await traders_on(bingx_sim, address, 300)
    woken: list[str] = []

    async def reconcile(trader: Trader) -> None:
        woken.append(trader.user_id)

    streams = streams_for(bingx_sim, traders, reconcile, per_egress=54)
    before = await seen_at(bingx_sim)
    started = time.monotonic()
    for _ in range(4):  # the executor syncs every 2 s
        await streams.sync()
        await asyncio.sleep(0.5)
    opened_s = time.monotonic() - started
    seen = await seen_at(bingx_sim)
    created = seen["listen_keys_created"] - before["listen_keys_created"]
    streamed = sorted(streams.wanted())
    # A fill nobody in Fleet placed (by hand in BingX's app) on a streamed account: woken.
    hand = traders[streamed[0]].client
    await hand.place_order("BTC-USDT", "BUY", "LONG", "MARKET", Decimal("0.001"))
    deadline = time.monotonic() + 5
    while not woken and time.monotonic() < deadline:  # noqa: ASYNC110 - polls a list
        await asyncio.sleep(0.05)
    print(
        f"300 traders on {address}: {len(streamed)} streamed, sockets open "
        f"{seen['open_by_address'].get(address)}, peak {seen['peak_by_address'].get(address)}, "
        f"listenKeys created {created} in 4 syncs ({opened_s:.1f} s), woken {woken}"
    )
    assert len(streamed) == 54 and seen["peak_by_address"][address] <= 54
    assert created == 54  # no churn: one key per streamed trader, across every sync
    assert woken == [streamed[0]]
    await streams.close_all()
    for trader in traders.values():
        await trader.client.close()


async def test_a_refused_handshake_backs_off_and_keeps_its_listen_key(bingx_sim: Any) -> None:
    address = "127.0.0.3"
    traders = await traders_on(bingx_sim, address, 64)

    async def reconcile(_trader: Trader) -> None:
        return None

    streams = streams_for(bingx_sim, traders, reconcile, per_egress=64)  # above BingX's 60
    before = await seen_at(bingx_sim)
    for _ in range(5):
        await streams.sync()
        await asyncio.sleep(1.0)
    seen = await seen_at(bingx_sim)
    created = seen["listen_keys_created"] - before["listen_keys_created"]
    refused = seen["refused"] - before["refused"]
    print(
        f"64 streams wanted on {address}: open {seen['open_by_address'].get(address)}, "
        f"refused handshakes {refused}, listenKeys created {created}"
    )
    assert seen["peak_by_address"][address] == 60 and refused >= 4
    assert created == 64  # the refused ones keep their keys and retry with back-off
    await streams.close_all()
    for trader in traders.values():
        await trader.client.close()
