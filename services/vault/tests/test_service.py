"""The vault service as a process: commands over NATS, real OpenBao, the BingX simulator."""

import asyncio
import hashlib
import hmac
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from nats.aio.client import Client

from fleet.events import AggregateId, AggregateRef
from fleet.events.commands import Command, command_subject
from fleet.events.vault_commands import ConnectCredential, SignPayload
from fleet.eventstore import EventStore, StreamSpec, ensure_stream
from fleet.stack import OpenBaoServer, free_port
from fleet.stack.process import ManagedProcess

pytestmark = pytest.mark.integration


async def ask(nc: Client, command: Command) -> dict[str, Any]:
    answer = await nc.request(
        command_subject(command), command.model_dump_json().encode(), timeout=15
    )
    return dict(json.loads(answer.data))


async def sim_account(sim: Any, permissions: list[str]) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        answer = await http.post(
            "/sim/accounts", json={"balance": "2500", "permissions": permissions}
        )
        return dict(answer.json())


@pytest.fixture
async def vault_service(
    nats_url: str, namespace: str, openbao_server: OpenBaoServer, bingx_sim: Any, tmp_path: Path
) -> AsyncIterator[tuple[Client, EventStore, Path]]:
    nc = await nats.connect(nats_url)
    spec = StreamSpec(name=f"EV_{namespace}", prefix=namespace)
    await ensure_stream(nc.jetstream(), spec)
    env = os.environ | {
        "FLEET_NATS_URL": nats_url,
        "FLEET_STREAM_NAME": spec.name,
        "FLEET_SUBJECT_PREFIX": namespace,
        "FLEET_VAULT_ADDR": openbao_server.addr,
        "FLEET_VAULT_TOKEN": openbao_server.root_token,
        "FLEET_BINGX_BASE_URL": bingx_sim.url,
        "FLEET_HTTP_PORT": str(free_port()),
    }
    process = ManagedProcess(
        "vault", [sys.executable, "-m", "fleet.vault"], tmp_path / "vault.log", env=env
    )
    process.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # ready when it answers a command
        try:
            await ask(nc, SignPayload(user_id="nobody", payload="x"))
            break
        except (TimeoutError, nats.errors.NoRespondersError):
            await asyncio.sleep(0.2)
    yield nc, EventStore(nc, spec), tmp_path / "vault.log"
    process.stop()
    await nc.close()


async def test_connect_sign_and_refusals(
    vault_service: tuple[Client, EventStore, Path], bingx_sim: Any
) -> None:
    nc, store, service_log = vault_service
    keys = await sim_account(bingx_sim, ["read", "trade"])
    ok = await ask(
        nc, ConnectCredential(user_id="alice", api_key=keys["apiKey"], api_secret=keys["secretKey"])
    )
    assert ok["ok"], ok
    assert (
        ok["data"]["balance"] == "2500.0000" and ok["data"]["api_key_last4"] == keys["apiKey"][-4:]
    )

    # a signature made inside Vault is what the simulator expects, and plain HMAC-SHA256
    payload = f"symbol=XRP-USDT&timestamp={int(time.time() * 1000)}"
    signed = await ask(nc, SignPayload(user_id="alice", payload=payload))
    expected = hmac.new(keys["secretKey"].encode(), payload.encode(), hashlib.sha256).hexdigest()
    assert signed["data"]["signature"] == expected
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        answer = await http.get(
            f"/openApi/swap/v2/trade/leverage?{payload}&signature={signed['data']['signature']}",
            headers={"X-BX-APIKEY": signed["data"]["api_key"]},
        )
    assert answer.json()["code"] == 0

    wrong = await ask(
        nc,
        ConnectCredential(
            user_id="bob", api_key=keys["apiKey"], api_secret="WrongWrongWrong0123456789"
        ),
    )
    assert not wrong["ok"] and "Signature verification failed" in wrong["error"]["message"]
    withdraw = await sim_account(bingx_sim, ["read", "trade", "withdraw"])
    refused = await ask(
        nc,
        ConnectCredential(
            user_id="carol", api_key=withdraw["apiKey"], api_secret=withdraw["secretKey"]
        ),
    )
    assert not refused["ok"] and "withdraw" in refused["error"]["message"]
    for user in ("bob", "carol"):  # refused keys leave nothing behind
        assert await store.load(AggregateRef(type="cred", id=AggregateId(user))) == []
    log = json.dumps(
        [
            e.model_dump(mode="json")
            for e in await store.load(AggregateRef(type="cred", id=AggregateId("alice")))
        ]
    )
    assert keys["secretKey"] not in log and keys["apiKey"] not in log
    answers = json.dumps([ok, wrong, refused])  # the connect answers carry neither
    assert keys["secretKey"] not in answers and keys["apiKey"] not in answers
    logged = service_log.read_text()  # every line the service logged in this cycle
    assert "cmd.vault.connect" in logged
    assert keys["secretKey"] not in logged and keys["apiKey"] not in logged
