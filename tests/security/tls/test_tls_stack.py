"""TLS everywhere it leaves a process: NATS, OpenBao and PostgreSQL serve only TLS with a
certificate this test's CA signed, and the platform (auth, gateway, vault, executor as
processes) works over it with verify-full — a trader signs in, connects a BingX key,
a signal becomes an order on the simulator. A client that does not trust the CA is
refused by each of the three servers."""

import ssl
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import hvac
import nats
import psycopg
import pytest
import requests

from fleet.stack import NatsServer, OpenBaoServer, PostgresServer
from fleet.stack.tls import issue
from fleet.testing.signals import price_of, publish, signal_at
from fleet.testing.waiting import until

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.e2e


async def test_signup_connect_signal_and_order_over_tls(
    stack: "Stack", admin: "Session", bingx_sim: Any, postgres_server: PostgresServer
) -> None:
    assert "sslmode=verify-full" in stack.database_url
    with psycopg.connect(postgres_server.dsn()) as conn:
        row = conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
    assert row == (True,)
    trader = await stack.new_session(admin, "trader")
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        keys = (await http.post("/sim/accounts", json={"balance": "10000"})).json()
    stack.secrets.add(keys["secretKey"])
    body = {"api_key": keys["apiKey"], "api_secret": keys["secretKey"]}
    connected = await trader.post("/api/bingx/connect", json=body)
    assert connected.status_code == 200, connected.text
    saved = await trader.put("/api/settings", json={"trading_enabled": True, "leverage": 10})
    assert saved.status_code == 200, saved.text
    assert (await trader.post("/api/bot/start")).status_code == 200
    await until(lambda: _has_account(trader), timeout=40.0)

    signal_id = await publish(stack.store, signal_at(await price_of(bingx_sim.url, "BTC-USDT")))

    chosen = await until(lambda: _decision(trader, signal_id), timeout=40.0)
    assert chosen["decision"] == "entry", chosen
    positions = await until(lambda: _positions(trader), timeout=40.0)
    assert Decimal(positions[0]["quantity"]) == Decimal(chosen["numbers"]["quantity"])


async def _has_account(trader: "Session") -> bool:
    return bool((await trader.get("/api/status")).json()["account"])


async def _decision(trader: "Session", signal_id: str) -> dict[str, Any] | None:
    for item in (await trader.get("/api/decisions")).json()["items"]:
        if item["signal_id"] == signal_id:
            return dict(item)
    return None


async def _positions(trader: "Session") -> list[dict[str, Any]]:
    return list((await trader.get("/api/positions")).json())


async def test_a_client_without_the_ca_is_refused_by_each_server(
    nats_server: NatsServer,
    openbao_server: OpenBaoServer,
    postgres_server: PostgresServer,
    tmp_path: Path,
) -> None:
    other_ca = issue(tmp_path / "other", "fleet-server").ca_file  # a CA the servers never used
    strangers = ssl.create_default_context(cafile=str(other_ca))

    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        await nats.connect(
            nats_server.admin_url,
            tls=strangers,
            connect_timeout=3,
            max_reconnect_attempts=0,
            allow_reconnect=False,
        )
    with pytest.raises(requests.exceptions.SSLError, match="certificate verify failed"):
        hvac.Client(url=openbao_server.addr, verify=str(other_ca)).sys.read_health_status()
    assert postgres_server.tls is not None
    refused = postgres_server.dsn().replace(str(postgres_server.tls.ca_file), str(other_ca))
    with pytest.raises(psycopg.OperationalError, match="certificate verify failed"):
        psycopg.connect(refused, connect_timeout=3)
    plaintext = postgres_server.dsn().split("?")[0] + "?sslmode=disable"
    with pytest.raises(psycopg.OperationalError, match=r"no pg_hba\.conf entry"):
        psycopg.connect(plaintext, connect_timeout=3)
