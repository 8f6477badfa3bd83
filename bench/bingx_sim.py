"""BingX simulator benchmark: sustained order rate vs the HTTP ceiling, and the client's
overhead per signed request, in one run.

Usage: ``.venv/bin/python bench/bingx_sim.py [--orders N] [--concurrency C]``. Starts the
simulator (rate limits off) on a free 127.0.0.1 port and stops it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import aiohttp
import uvloop

from fleet.bingx import BingxClient, LocalHmacSigner, Transport
from fleet.bingx.signing import payload, query
from fleet.stack import SimulatorServer


async def rate(label: str, count: int, concurrency: int, work: object) -> float:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            await work(queue.get_nowait())  # type: ignore[operator]

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    per_second = count / (time.perf_counter() - started)
    print(f"  {label:<62} {per_second:>9,.0f} /s")
    return per_second


async def main(orders: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        simulator = SimulatorServer(Path(tmp), extra=["--no-rate-limits"])
        simulator.start()
        try:
            await measure(simulator.url, orders, concurrency)
        finally:
            simulator.stop()


async def measure(url: str, orders: int, concurrency: int) -> None:
    # The load generator is aiohttp: httpx's async pool tops out near 450 req/s at 32
    # concurrent requests here, which would measure the generator, not the simulator.
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(url, connector=connector) as http:
        async with http.post("/sim/accounts", json={"balance": "1000000000"}) as answer:
            keys = await answer.json()
        api_key, secret = keys["apiKey"], keys["secretKey"]

        async def server_time(_: int) -> None:
            async with http.get("/openApi/swap/v2/server/time") as answer:
                answer.raise_for_status()

        async def raw_order(i: int) -> None:
            params = {
                "symbol": "XRP-USDT",
                "side": "BUY" if i % 2 else "SELL",
                "positionSide": "LONG" if i % 2 else "SHORT",
                "type": "MARKET",
                "quantity": "10",
                "timestamp": int(time.time() * 1000),
            }
            text = "&".join(f"{k}={params[k]}" for k in sorted(params))
            signature = hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()
            path = f"/openApi/swap/v2/trade/order?{text}&signature={signature}"
            async with http.post(path, headers={"X-BX-APIKEY": api_key}) as answer:
                body = await answer.json()
            assert body["code"] == 0, body

        print(f"simulator, rate limits off, {concurrency} concurrent connections:")
        ceiling = await rate(
            "GET server time (HTTP ceiling, baseline)", orders, concurrency, server_time
        )
        placed = await rate(
            "signed MARKET orders placed and filled", orders, concurrency, raw_order
        )
        print(f"  -> orders = {placed / ceiling:.0%} of the HTTP ceiling; goal >= 2,000 orders/s")
        await client_overhead(url, api_key, secret, orders // 4, concurrency, placed)


async def client_overhead(
    url: str, api_key: str, secret: str, count: int, concurrency: int, raw_rate: float
) -> None:
    signer = LocalHmacSigner(api_key, secret)
    params = {
        "symbol": "XRP-USDT",
        "side": "BUY",
        "positionSide": "LONG",
        "type": "MARKET",
        "quantity": Decimal(10),
        "clientOrderID": "fl0123456789abcdef",
        "timestamp": 1,
    }
    started = time.perf_counter()
    for _ in range(20_000):
        signature = await signer.sign(payload(params))  # type: ignore[arg-type]
        query(params, signature.signature)  # type: ignore[arg-type]
    per_request_us = (time.perf_counter() - started) / 20_000 * 1e6
    print("client:")
    print(f"  build + sign one request (payload, HMAC, query string)     {per_request_us:>9.1f} us")
    client = BingxClient(Transport(url, signer, max_connections=concurrency))

    async def place(i: int) -> None:
        await client.place_order(
            "XRP-USDT",
            "BUY" if i % 2 else "SELL",
            "LONG" if i % 2 else "SHORT",
            "MARKET",
            Decimal(10),
        )

    through_client = await rate(
        "orders through BingxClient (aiohttp transport)", count, concurrency, place
    )
    print(
        f"  -> through the client = {through_client / raw_rate:.0%} of the hand-built rate; "
        f"its own cost is the {per_request_us:.0f} us build + sign above"
    )
    await client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    arguments = parser.parse_args()
    uvloop.run(main(arguments.orders, arguments.concurrency))
