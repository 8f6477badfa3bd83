"""The vault service as a process (started once for the module): commands over NATS,
real OpenBao, the BingX simulator; and ``fleet vault rotate`` against it."""

import asyncio
import hashlib
import hmac
import json
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from nats.aio.client import Client

from fleet.events.vault_commands import SIGN_BATCH_MAX, SignPayload, SignPayloads
from fleet.eventstore import EventStore, StreamSpec, ensure_stream
from fleet.stack import OpenBaoServer
from fleet.testing.vault import connect_command
from fleet.vault.connecting import REFUSED_PAIR

from .conftest import (
    ask,
    credential_events,
    sim_account,
    start_vault_service,
    wait_until_answering,
)

pytestmark = pytest.mark.integration


@dataclass
class Service:
    nc: Client
    store: EventStore
    log: Path
    nats_url: str


@pytest.fixture(scope="module")
async def service(
    nats_server: Any,
    openbao_server: OpenBaoServer,
    bingx_sim: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Service]:
    prefix = "t" + uuid.uuid4().hex[:12]
    nc = await nats.connect(nats_server.admin_url)
    spec = StreamSpec(name=f"EV_{prefix}", prefix=prefix)
    await ensure_stream(nc.jetstream(), spec)
    log = tmp_path_factory.mktemp("vault") / "vault.log"
    vault = (openbao_server.addr, openbao_server.vault_service_token())
    process = start_vault_service(log, nats_server.admin_url, prefix, vault, bingx_sim.url)
    await wait_until_answering(nc)
    yield Service(nc, EventStore(nc, spec), log, nats_server.admin_url)
    process.stop()
    await nc.close()


def plain_hmac(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


async def connected_user(service: Service, sim: Any) -> tuple[str, dict[str, str]]:
    keys = await sim_account(sim, ["read", "trade"])
    user_id = "u" + uuid.uuid4().hex[:10]
    command = await connect_command(service.nc, user_id, keys["apiKey"], keys["secretKey"])
    assert (await ask(service.nc, command))["ok"]
    return user_id, keys


async def test_connect_sign_and_refusals(service: Service, bingx_sim: Any) -> None:
    nc, store = service.nc, service.store
    keys = await sim_account(bingx_sim, ["read", "trade"])
    ok = await ask(nc, await connect_command(nc, "alice", keys["apiKey"], keys["secretKey"]))
    assert ok["ok"], ok
    assert (ok["data"]["balance"], ok["data"]["api_key_last4"]) == (
        "2500.0000",
        keys["apiKey"][-4:],
    )

    # a signature made inside Vault is what the simulator expects, and plain HMAC-SHA256
    payload = f"symbol=XRP-USDT&timestamp={int(time.time() * 1000)}"
    signed = await ask(nc, SignPayload(user_id="alice", payload=payload))
    assert signed["data"]["signature"] == plain_hmac(keys["secretKey"], payload)
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        answer = await http.get(
            f"/openApi/swap/v2/trade/leverage?{payload}&signature={signed['data']['signature']}",
            headers={"X-BX-APIKEY": signed["data"]["api_key"]},
        )
    assert answer.json()["code"] == 0

    wrong = await ask(
        nc,
        await connect_command(nc, "bob", keys["apiKey"], "WrongWrongWrong0123456789"),
    )
    assert not wrong["ok"] and wrong["error"]["message"] == REFUSED_PAIR
    withdraw = await sim_account(bingx_sim, ["read", "trade", "withdraw"])
    refused = await ask(
        nc,
        await connect_command(nc, "carol", withdraw["apiKey"], withdraw["secretKey"]),
    )
    assert not refused["ok"] and "withdraw" in refused["error"]["message"]
    for user in ("bob", "carol"):  # refused keys leave nothing behind
        assert await credential_events(store, user) == []
    answers = json.dumps([ok, wrong, refused])  # the connect answers carry neither
    assert keys["secretKey"] not in answers and keys["apiKey"] not in answers
    logged = await asyncio.to_thread(service.log.read_text)
    assert "credential connected" in logged
    assert keys["secretKey"] not in logged and keys["apiKey"] not in logged


TOO_MANY = {"requests": [{"user_id": "u1", "payload": "x"}] * (SIGN_BATCH_MAX + 1)}


@pytest.mark.parametrize(
    ("subject", "body", "field"),
    [
        ("cmd.vault.sign", b"not json", "body"),
        ("cmd.vault.sign", b'{"user_id": "u1"}', "payload"),
        ("cmd.vault.sign", b'{"user_id": "u1", "payload": "x", "extra": 1}', "extra"),
        ("cmd.vault.sign", b'{"user_id": "../keys/other", "payload": "x"}', "user_id"),
        ("cmd.vault.sign_batch", b"not json", "body"),
        ("cmd.vault.sign_batch", b'{"requests": []}', "requests"),
        ("cmd.vault.sign_batch", json.dumps(TOO_MANY).encode(), "requests"),
        ("cmd.vault.sign_batch", b'{"requests": [{"user_id": "u1"}]}', "requests.0.payload"),
    ],
)
async def test_bad_requests_are_answered_invalid_naming_the_field(
    service: Service, subject: str, body: bytes, field: str
) -> None:
    answer = json.loads((await service.nc.request(subject, body, timeout=5)).data)
    assert answer["error"]["code"] == "invalid"
    assert answer["error"]["details"]["field"] == field


async def test_a_batch_answers_each_request_as_it_would_alone(
    service: Service, bingx_sim: Any
) -> None:
    alice, alice_keys = await connected_user(service, bingx_sim)
    bob, bob_keys = await connected_user(service, bingx_sim)
    batch = SignPayloads(
        requests=[
            SignPayload(user_id=alice, payload="a=1", with_api_key=False),
            SignPayload(user_id="u" + uuid.uuid4().hex[:10], payload="b=2"),  # not connected
            SignPayload(user_id="../keys/other", payload="c=3"),
            SignPayload(user_id=bob, payload="d=4"),
        ]
    )
    message = await service.nc.request(
        "cmd.vault.sign_batch", batch.model_dump_json().encode(), timeout=10
    )
    answer = json.loads(message.data)
    assert answer["ok"], answer
    first, unknown, invalid, last = answer["data"]["replies"]
    assert first["ok"] and first["data"] == {
        "signature": plain_hmac(alice_keys["secretKey"], "a=1")
    }
    assert unknown["error"]["code"] == "not_found"
    refusal = invalid["error"]
    assert (refusal["code"], refusal["details"]["field"]) == ("invalid", "user_id")
    assert last["data"] == {
        "signature": plain_hmac(bob_keys["secretKey"], "d=4"),
        "api_key": bob_keys["apiKey"],
    }
    assert bob_keys["secretKey"] not in message.data.decode()


def fleet(*args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "fleet.cli", "vault", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


async def test_fleet_vault_rotate(service: Service, bingx_sim: Any) -> None:
    user_id, keys = await connected_user(service, bingx_sim)
    target = ["--nats-url", service.nats_url, "--stream", service.store.spec.name]
    target += ["--prefix", service.store.spec.prefix]
    one = await asyncio.to_thread(fleet, "rotate", user_id, *target)
    assert one.returncode == 0, one.stderr
    assert one.stdout.strip() == "rotated 1 of 1"
    everyone = await asyncio.to_thread(fleet, "rotate", *target)
    assert everyone.returncode == 0, everyone.stderr
    word, done, of, total = everyone.stdout.split()  # every connected user of this module
    assert (word, of) == ("rotated", "of") and done == total and int(total) >= 2
    assert (await credential_events(service.store, user_id)).count(
        "credential.api_key_rewrapped"
    ) == 2
    signed = await ask(service.nc, SignPayload(user_id=user_id, payload="timestamp=1"))
    assert signed["data"]["api_key"] == keys["apiKey"]  # the rewrapped ciphertext opens
    for bad in (["rotate", "no-such-user", *target], ["rotate", "bad.user", *target]):
        refused = await asyncio.to_thread(fleet, *bad)
        assert refused.returncode == 2 and "fleet vault rotate:" in refused.stderr
        assert "Traceback" not in refused.stderr
