"""Vault handlers against real OpenBao and NATS; BingX is a fake that checks signatures
the way BingX does (the simulator-backed test comes with the client)."""

import hashlib
import hmac
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import hvac
import nats
import pytest
from nats.aio.client import Client

from fleet.events import AggregateId, AggregateRef
from fleet.events.catalog import domain_registry
from fleet.events.vault_commands import (
    ConnectCredential,
    DisconnectCredential,
    RotateCredential,
    SignPayload,
    VerifyCredential,
)
from fleet.eventstore import EventStore, Repository, StreamSpec, ensure_stream
from fleet.vault.adapters.transit import TransitKeeper, signing_key_name
from fleet.vault.domain.credential import Credential
from fleet.vault.domain.policy import AccountSnapshot
from fleet.vault.handlers import VaultDeps, connect, disconnect, rotate, sign, verify
from fleet.vault.ports import ProbeRefused, Sign

pytestmark = pytest.mark.integration

API_KEY = "hO6oQotzTE0S5FRYze2Jx2wGx7eVnJGMolpA1nZyehsoMgCcgKNWQHd4QgTFZuwl4Zt4xMe2PqGBegWXO4A"
SECRET = "mheO6dR8ovSsxZQCOYEFCtelpuxcWGTfHw7te326y6jOwq5WpvFQ9JNljoTwBXZGv5It07m9RXSPpDQEK2w"


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


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[Client]:
    client = await nats.connect(nats_url)
    yield client
    await client.close()


@pytest.fixture
async def deps(nc: Client, namespace: str, vault_client: hvac.Client) -> VaultDeps:
    spec = StreamSpec(name=f"EV_{namespace}", prefix=namespace)
    await ensure_stream(nc.jetstream(), spec)
    repo = Repository(EventStore(nc, spec), domain_registry(), Credential)
    bingx = FakeBingx()
    bingx.accounts[API_KEY] = (SECRET, (2, 3))
    return VaultDeps(repo, TransitKeeper(vault_client), bingx, ("203.0.113.7",))


def user() -> str:
    return "u" + uuid.uuid4().hex[:12]


async def stored_text(deps: VaultDeps, user_id: str, nc: Client, namespace: str) -> str:
    store = EventStore(nc, StreamSpec(name=f"EV_{namespace}", prefix=namespace))
    events = await store.load(AggregateRef(type="cred", id=AggregateId(user_id)))
    return "\n".join(e.model_dump_json() for e in events)


async def test_connect_verifies_stores_and_signs_inside_vault(
    deps: VaultDeps, nc: Client, namespace: str
) -> None:
    user_id = user()
    reply = await connect(
        ConnectCredential(user_id=user_id, api_key=API_KEY, api_secret=SECRET), deps
    )
    assert reply.ok, reply
    assert reply.data["api_key_last4"] == "XO4A"
    assert "whitelist 203.0.113.7" in reply.data["warnings"][0]
    payload = "symbol=BTC-USDT&timestamp=1700000000001"
    signed = await sign(SignPayload(user_id=user_id, payload=payload), deps)
    assert (
        signed.data["signature"]
        == hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
    )
    assert signed.data["api_key"] == API_KEY
    log = await stored_text(deps, user_id, nc, namespace)
    assert SECRET not in log
    assert API_KEY not in log
    assert (await verify(VerifyCredential(user_id=user_id), deps)).ok


async def test_wrong_secret_is_refused_and_nothing_is_stored(
    deps: VaultDeps, vault_client: hvac.Client, nc: Client, namespace: str
) -> None:
    user_id = user()
    reply = await connect(
        ConnectCredential(user_id=user_id, api_key=API_KEY, api_secret="WrongSecret0123456789"),
        deps,
    )
    assert not reply.ok and reply.error is not None
    assert "Signature verification failed" in reply.error.message
    assert await stored_text(deps, user_id, nc, namespace) == ""
    with pytest.raises(hvac.exceptions.InvalidPath):
        vault_client.adapter.get(f"/v1/transit/keys/{signing_key_name(user_id)}")


async def test_withdraw_permission_is_refused(deps: VaultDeps) -> None:
    assert isinstance(deps.probe, FakeBingx)
    deps.probe.accounts["WithdrawKey0123456789"] = ("WithdrawSecret0123456789", (2, 3, 5))
    reply = await connect(
        ConnectCredential(
            user_id=user(), api_key="WithdrawKey0123456789", api_secret="WithdrawSecret0123456789"
        ),
        deps,
    )
    assert not reply.ok and reply.error is not None
    assert "withdraw" in reply.error.message


async def test_malformed_keys_name_the_field(deps: VaultDeps) -> None:
    reply = await connect(ConnectCredential(user_id=user(), api_key="x y", api_secret=SECRET), deps)
    assert reply.error is not None and reply.error.details == {"field": "api_key"}


async def test_disconnect_shreds_keys_and_keeps_the_log(
    deps: VaultDeps, nc: Client, namespace: str
) -> None:
    user_id = user()
    await connect(ConnectCredential(user_id=user_id, api_key=API_KEY, api_secret=SECRET), deps)
    before = await stored_text(deps, user_id, nc, namespace)
    assert (await disconnect(DisconnectCredential(user_id=user_id), deps)).ok
    after = await stored_text(deps, user_id, nc, namespace)
    assert after.startswith(before)
    assert "credential.disconnected" in after
    refused = await sign(SignPayload(user_id=user_id, payload="timestamp=1"), deps)
    assert not refused.ok
    credential = await deps.credentials.load(AggregateId(user_id))
    with pytest.raises(Exception):  # noqa: B017 - any refusal: the keys are gone
        await deps.keeper.sign(user_id, "timestamp=1")
    assert credential.state.status == "disconnected"


async def test_update_switches_to_the_new_pair_and_rotation_keeps_signing(
    deps: VaultDeps,
) -> None:
    assert isinstance(deps.probe, FakeBingx)
    user_id = user()
    await connect(ConnectCredential(user_id=user_id, api_key=API_KEY, api_secret=SECRET), deps)
    deps.probe.accounts["NewKey0123456789abcd"] = ("NewSecret0123456789abcd", (2, 3))
    reply = await connect(
        ConnectCredential(
            user_id=user_id, api_key="NewKey0123456789abcd", api_secret="NewSecret0123456789abcd"
        ),
        deps,
    )
    assert reply.ok
    assert (await rotate(RotateCredential(user_id=user_id), deps)).ok
    signed = await sign(SignPayload(user_id=user_id, payload="timestamp=2"), deps)
    expected = hmac.new(b"NewSecret0123456789abcd", b"timestamp=2", hashlib.sha256).hexdigest()
    assert (signed.data["signature"], signed.data["api_key"]) == (expected, "NewKey0123456789abcd")
