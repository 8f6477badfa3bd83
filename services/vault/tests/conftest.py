"""Fixtures of the vault tests: the real OpenBao, NATS and event stream of the session
(fleet.testing), wired the way the composition root wires them."""

import asyncio
import hashlib
import hmac
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from nats.aio.client import Client

from fleet.events import AggregateId, AggregateRef, Envelope
from fleet.events.catalog import domain_registry
from fleet.events.commands import Command, command_subject
from fleet.events.vault_commands import SignPayload
from fleet.eventstore import EventStore, Repository, StreamSpec, ensure_stream
from fleet.stack import ManagedProcess, OpenBaoServer, free_port
from fleet.vault.adapters.transit import TransitKeeper
from fleet.vault.adapters.vault_auth import StaticToken
from fleet.vault.adapters.vault_http import VaultHttp
from fleet.vault.credential_view import CredentialView
from fleet.vault.deps import VaultDeps
from fleet.vault.domain.credential import Credential
from fleet.vault.domain.policy import AccountSnapshot
from fleet.vault.ports import AccountProbe, ProbeRefused, Sign


class FakeBingx:
    """Knows one account per API key; verifies signatures exactly like BingX."""

    def __init__(self) -> None:
        self.accounts: dict[str, tuple[str, tuple[int, ...]]] = {}

    async def probe(self, api_key: str, sign: Sign) -> AccountSnapshot:
        payload = "timestamp=1700000000000"
        known = self.accounts.get(api_key)
        if known is None:
            raise ProbeRefused("Incorrect apiKey", 100413)
        expected = hmac.new(known[0].encode(), payload.encode(), hashlib.sha256).hexdigest()
        if await sign(payload) != expected:
            raise ProbeRefused("Signature verification failed", 100001)
        return AccountSnapshot(Decimal("1000.5"), "USDT-M perpetual", known[1], ())


def transit_keeper(addr: str, token: str, *, timeout_s: float = 5.0) -> TransitKeeper:
    """A keeper on the real transit API at ``addr``."""
    return TransitKeeper(VaultHttp(addr, StaticToken(token), timeout_s=timeout_s))


@pytest.fixture
async def keeper(openbao_server: OpenBaoServer) -> AsyncIterator[TransitKeeper]:
    """The transit keeper with the dev server's root token."""
    keeper = transit_keeper(openbao_server.addr, openbao_server.root_token)
    yield keeper
    await keeper.close()


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[Client]:
    client = await nats.connect(nats_url)
    yield client
    await client.close()


@pytest.fixture
async def store(nc: Client, namespace: str) -> EventStore:
    spec = StreamSpec(name=f"EV_{namespace}", prefix=namespace)
    await ensure_stream(nc.jetstream(), spec)
    return EventStore(nc, spec)


def wire(store: EventStore, nc: Client, keeper: TransitKeeper, probe: AccountProbe) -> VaultDeps:
    """VaultDeps as the worker builds them."""
    registry = domain_registry()
    view = CredentialView(store, registry, nc.jetstream())
    return VaultDeps(Repository(store, registry, Credential), view, keeper, probe, ("203.0.113.7",))


async def ask(nc: Client, command: Command, timeout: float = 15) -> dict[str, Any]:
    """Send a command, return the reply as JSON."""
    answer = await nc.request(
        command_subject(command), command.model_dump_json().encode(), timeout=timeout
    )
    return dict(json.loads(answer.data))


async def sim_account(sim: Any, permissions: list[str]) -> dict[str, str]:
    """A new simulator account: ``apiKey`` and ``secretKey``."""
    async with httpx.AsyncClient(base_url=sim.url) as http:
        answer = await http.post(
            "/sim/accounts", json={"balance": "2500", "permissions": permissions}
        )
        return dict(answer.json())


def start_vault_service(
    log: Path, nats_url: str, prefix: str, vault: tuple[str, str], bingx_url: str
) -> ManagedProcess:
    """``python -m fleet.vault`` as a real process (``vault`` = address, token)."""
    env = os.environ | {
        "FLEET_NATS_URL": nats_url,
        "FLEET_STREAM_NAME": f"EV_{prefix}",
        "FLEET_SUBJECT_PREFIX": prefix,
        "FLEET_VAULT_ADDR": vault[0],
        "FLEET_VAULT_TOKEN": vault[1],
        "FLEET_VAULT_TIMEOUT_S": "2",
        "FLEET_BINGX_BASE_URL": bingx_url,
        "FLEET_HTTP_PORT": str(free_port()),
        "FLEET_HEALTH_CHECK_MINUTES": "0.02",
    }
    process = ManagedProcess("vault", [sys.executable, "-m", "fleet.vault"], log, env=env)
    process.start()
    return process


async def wait_until_answering(nc: Client) -> None:
    """Until the service answers a command (any answer)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            await ask(nc, SignPayload(user_id="nobody", payload="x"), timeout=2)
            return
        except (TimeoutError, nats.errors.NoRespondersError):
            await asyncio.sleep(0.2)
    raise AssertionError("the vault service did not answer")


async def credential_events(store: EventStore, user_id: str) -> list[str]:
    """The event types of a user's credential, in order."""
    events = await store.load(AggregateRef(type="cred", id=AggregateId(user_id)))
    return [e.type for e in events]


async def all_events(store: EventStore) -> list[Envelope]:
    """Every event of the store's stream, in order."""
    last = await store.last_sequence()
    events: list[Envelope] = []
    if last == 0:
        return events
    async for stored in store.subscribe():
        events.append(stored.envelope)
        if (stored.envelope.sequence or 0) >= last:
            break
    return events
