"""Vault stopped mid-run: signing fails closed with a clear error and one event per user;
Vault restarted: signing works again without restarting the vault service. A persistent
OpenBao (raft storage, unsealed on start) with the least-privilege service token."""

import asyncio
import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client

from fleet.events.vault_commands import SignPayload
from fleet.eventstore import EventStore
from fleet.stack import OpenBaoServer
from fleet.testing.vault import connect_command

from .conftest import (
    ask,
    credential_events,
    sim_account,
    start_vault_service,
    wait_until_answering,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def persistent_openbao(tmp_path: Path) -> Iterator[OpenBaoServer]:
    server = OpenBaoServer(tmp_path / "openbao", dev=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def service_log(
    persistent_openbao: OpenBaoServer,
    nats_url: str,
    store: EventStore,
    nc: Client,
    bingx_sim: Any,
    tmp_path: Path,
) -> AsyncIterator[Path]:
    token = persistent_openbao.vault_service_token()  # the fleet-vault policy only
    vault = (persistent_openbao.addr, token)
    log = tmp_path / "vault.log"
    service = start_vault_service(log, nats_url, store.spec.prefix, vault, bingx_sim.url)
    await wait_until_answering(nc)
    yield log
    service.stop()


async def test_signing_fails_closed_while_vault_is_down_and_recovers(
    persistent_openbao: OpenBaoServer,
    service_log: Path,
    store: EventStore,
    nc: Client,
    bingx_sim: Any,
) -> None:
    keys = await sim_account(bingx_sim, ["read", "trade"])
    connect = await connect_command(nc, "alice", keys["apiKey"], keys["secretKey"])
    connected = await ask(nc, connect)
    assert connected["ok"], connected
    payload = f"symbol=XRP-USDT&timestamp={int(time.time() * 1000)}"
    expected = hmac.new(keys["secretKey"].encode(), payload.encode(), hashlib.sha256)
    sign = SignPayload(user_id="alice", payload=payload)
    assert (await ask(nc, sign))["data"]["signature"] == expected.hexdigest()

    persistent_openbao.stop()
    for _ in range(3):  # every attempt refused, one event for the outage
        refused = await ask(nc, sign)
        assert not refused["ok"] and refused["error"]["code"] == "unavailable"
        assert "Vault" in refused["error"]["message"]
    other = await sim_account(bingx_sim, ["read", "trade"])
    connect_bob = await connect_command(nc, "bob", other["apiKey"], other["secretKey"])
    down = await ask(nc, connect_bob)
    assert down["error"]["code"] == "unavailable"
    assert await credential_events(store, "bob") == []  # nothing stored half-way
    assert (await credential_events(store, "alice")).count("credential.signing_unavailable") == 1

    persistent_openbao.start()  # same storage, unsealed again; the service untouched
    signed = await ask(nc, sign)
    assert signed["ok"] and signed["data"]["signature"] == expected.hexdigest()
    assert (await credential_events(store, "alice"))[-2:] == [
        "credential.signing_unavailable",
        "credential.signing_restored",
    ]
    assert (await ask(nc, connect_bob))["ok"]
    assert "vault unavailable" in await asyncio.to_thread(service_log.read_text)
