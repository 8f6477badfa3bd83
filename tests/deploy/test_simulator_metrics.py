"""The BingX simulator has ``/metrics`` like every service (accounts, orders, positions,
rate-limit refusals)."""

from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from fleet.bingx import BingxClient, LocalHmacSigner, Transport
from fleet.stack import SimulatorServer

pytestmark = pytest.mark.integration


def samples(text: str) -> dict[str, float]:
    return {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples}


async def test_the_simulator_counts_its_accounts_and_orders(tmp_path: Path) -> None:
    sim = SimulatorServer(tmp_path, speed=1.0)
    sim.start()
    try:
        async with httpx.AsyncClient(base_url=sim.url) as http:
            before = samples((await http.get("/metrics")).text)
            keys = (await http.post("/sim/accounts", json={"balance": "10000"})).json()
            client = BingxClient(
                Transport(sim.url, LocalHmacSigner(keys["apiKey"], keys["secretKey"]))
            )
            try:
                await client.place_order("BTC-USDT", "BUY", "LONG", "MARKET", Decimal("0.001"))
            finally:
                await client.close()
            after = samples((await http.get("/metrics")).text)
    finally:
        sim.stop()
    assert after["bingx_sim_accounts"] == before["bingx_sim_accounts"] + 1
    assert after["bingx_sim_orders_total"] == before["bingx_sim_orders_total"] + 1
    assert after["bingx_sim_open_positions"] == before["bingx_sim_open_positions"] + 1
    assert "bingx_sim_rate_limit_refusals_total" in after
