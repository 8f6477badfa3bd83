"""Vault handlers against real OpenBao and NATS; BingX is a fake that checks signatures
the way BingX does (the simulator-backed tests are in test_service.py)."""

import hashlib
import hmac
import uuid

import hvac
import pytest
from nats.aio.client import Client

from fleet.events import AggregateId, AggregateRef
from fleet.events.commands import Actor, CommandReply
from fleet.events.vault_commands import (
    DisconnectCredential,
    RotateCredential,
    SignPayload,
    VerifyCredential,
)
from fleet.eventstore import EventStore
from fleet.testing.vault import wrapped_connect
from fleet.vault.adapters.transit import TransitKeeper, signing_key_name
from fleet.vault.connecting import REFUSED_PAIR, connect
from fleet.vault.deps import VaultDeps
from fleet.vault.errors import KeeperUnavailable, KeyRefused
from fleet.vault.handlers import disconnect, rotate, verify
from fleet.vault.signing import sign

from .conftest import FakeBingx, transit_keeper, wire

pytestmark = pytest.mark.integration

API_KEY = "hO6oQotzTE0S5FRYze2Jx2wGx7eVnJGMolpA1nZyehsoMgCcgKNWQHd4QgTFZuwl4Zt4xMe2PqGBegWXO4A"
SECRET = "mheO6dR8ovSsxZQCOYEFCtelpuxcWGTfHw7te326y6jOwq5WpvFQ9JNljoTwBXZGv5It07m9RXSPpDQEK2w"
NEW_KEY, NEW_SECRET = "NewKey0123456789abcd", "NewSecret0123456789abcd"


@pytest.fixture
def bingx() -> FakeBingx:
    fake = FakeBingx()
    fake.accounts[API_KEY] = (SECRET, (2, 3))
    fake.accounts[NEW_KEY] = (NEW_SECRET, (2, 3))
    return fake


@pytest.fixture
def deps(store: EventStore, nc: Client, keeper: TransitKeeper, bingx: FakeBingx) -> VaultDeps:
    return wire(store, nc, keeper, bingx)


def user() -> str:
    return "u" + uuid.uuid4().hex[:12]


def plain_hmac(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


async def stored_text(store: EventStore, user_id: str) -> str:
    events = await store.load(AggregateRef(type="cred", id=AggregateId(user_id)))
    return "\n".join(e.model_dump_json() for e in events)


async def connect_pair(
    deps: VaultDeps, user_id: str, key: str = API_KEY, secret: str = SECRET
) -> CommandReply:
    wrapping = await deps.keeper.wrapping_key()
    return await connect(wrapped_connect(wrapping, user_id, key, secret), deps)


async def test_connect_verifies_stores_and_signs_inside_vault(
    deps: VaultDeps, store: EventStore
) -> None:
    user_id = user()
    reply = await connect_pair(deps, user_id)
    assert reply.ok, reply
    assert reply.data["api_key_last4"] == "XO4A" and reply.data["replaced_previous"] is False
    assert "whitelist 203.0.113.7" in reply.data["warnings"][0]
    payload = "symbol=BTC-USDT&timestamp=1700000000001"
    signed = await sign(SignPayload(user_id=user_id, payload=payload), deps)
    assert (signed.data["signature"], signed.data["api_key"]) == (
        plain_hmac(SECRET, payload),
        API_KEY,
    )
    bare = await sign(SignPayload(user_id=user_id, payload="c=3", with_api_key=False), deps)
    assert bare.data == {"signature": plain_hmac(SECRET, "c=3")}  # one Vault call, no key
    log = await stored_text(store, user_id)
    assert SECRET not in log and API_KEY not in log
    assert (await verify(VerifyCredential(user_id=user_id), deps)).ok
    assert deps.counter.drain(force=True)[0][1] == {user_id: 2}


async def test_wrong_secret_is_refused_and_nothing_is_stored(
    deps: VaultDeps, vault_client: hvac.Client, store: EventStore
) -> None:
    user_id = user()
    reply = await connect_pair(deps, user_id, secret="WrongSecret0123456789")
    assert not reply.ok and reply.error is not None
    assert reply.error.message == REFUSED_PAIR  # the same answer as a wrong key
    wrong_key = await connect_pair(deps, user(), key="WrongKey0123456789ab")
    assert wrong_key.error == reply.error
    assert await stored_text(store, user_id) == ""
    with pytest.raises(hvac.exceptions.InvalidPath):
        vault_client.adapter.get(f"/v1/transit/keys/{signing_key_name(user_id)}")
    assert transit_keys_of(vault_client, user_id) == []  # nor a pending one


def transit_keys_of(vault_client: hvac.Client, user_id: str) -> list[str]:
    """The user's transit signing keys, pending ones included."""
    names = vault_client.adapter.list("/v1/transit/keys")["data"]["keys"]
    return [n for n in names if n.startswith(signing_key_name(user_id))]


async def test_withdraw_permission_is_refused(
    deps: VaultDeps, bingx: FakeBingx, store: EventStore, vault_client: hvac.Client
) -> None:
    bingx.accounts["WithdrawKey0123456789"] = ("WithdrawSecret0123456789", (2, 3, 5))
    user_id = user()
    reply = await connect_pair(deps, user_id, "WithdrawKey0123456789", "WithdrawSecret0123456789")
    assert not reply.ok and reply.error is not None
    assert "withdraw" in reply.error.message
    assert await stored_text(store, user_id) == ""
    assert transit_keys_of(vault_client, user_id) == []  # the pending key is deleted too


async def test_a_stale_wrapping_key_is_named_so_the_gateway_wraps_again(
    deps: VaultDeps, store: EventStore, vault_client: hvac.Client
) -> None:
    user_id = user()
    key = await deps.keeper.wrapping_key()
    stale = wrapped_connect(key, user_id, API_KEY, SECRET).model_copy(
        update={"wrapping_key_id": "0" * 64}
    )
    reply = await connect(stale, deps)
    assert reply.error is not None and reply.error.code == "conflict"
    assert reply.error.details == {"wrapping_key_id": key.key_id}
    assert await stored_text(store, user_id) == ""
    assert transit_keys_of(vault_client, user_id) == []


async def test_a_ciphertext_vault_cannot_open_is_invalid(
    deps: VaultDeps, store: EventStore, vault_client: hvac.Client
) -> None:
    user_id = user()
    key = await deps.keeper.wrapping_key()
    garbled = wrapped_connect(key, user_id, API_KEY, SECRET).model_copy(
        update={"wrapped_secret": "A" * 700}
    )
    reply = await connect(garbled, deps)
    assert reply.error is not None and reply.error.code == "invalid"
    assert reply.error.details == {"field": "wrapped_secret"}
    assert await stored_text(store, user_id) == ""
    assert transit_keys_of(vault_client, user_id) == []


async def test_malformed_keys_name_the_field(deps: VaultDeps) -> None:
    reply = await connect_pair(deps, user(), key="x y")
    assert reply.error is not None and reply.error.details == {"field": "api_key"}


async def test_vault_down_at_connect_stores_nothing(
    store: EventStore, nc: Client, bingx: FakeBingx, vault_client: hvac.Client
) -> None:
    dead = transit_keeper("http://127.0.0.1:9", "x", timeout_s=1)
    user_id = user()
    with pytest.raises(KeeperUnavailable):
        await connect_pair(wire(store, nc, dead, bingx), user_id)
    await dead.close()
    assert await stored_text(store, user_id) == ""


async def test_disconnect_shreds_keys_and_keeps_the_log(deps: VaultDeps, store: EventStore) -> None:
    user_id = user()
    await connect_pair(deps, user_id)
    credential = await deps.credentials.load(AggregateId(user_id))
    before = await stored_text(store, user_id)
    assert (await disconnect(DisconnectCredential(user_id=user_id), deps)).ok
    after = await stored_text(store, user_id)
    assert after.startswith(before) and "credential.disconnected" in after
    refused = await sign(SignPayload(user_id=user_id, payload="timestamp=1"), deps)
    assert refused.error is not None and refused.error.code == "not_found"
    with pytest.raises(Exception):  # noqa: B017 - any refusal: the keys are gone
        await deps.keeper.sign(user_id, "timestamp=1")
    with pytest.raises(Exception):  # noqa: B017
        await deps.keeper.open_api_key(user_id, credential.state.api_key_ciphertext)


async def test_another_users_ciphertext_is_refused(deps: VaultDeps) -> None:
    alice, bob = user(), user()
    await connect_pair(deps, alice)
    await connect_pair(deps, bob, NEW_KEY, NEW_SECRET)
    stolen = (await deps.credentials.load(AggregateId(alice))).state.api_key_ciphertext
    with pytest.raises(KeyRefused):
        await deps.keeper.open_api_key(bob, stolen)


async def test_update_verifies_the_new_pair_then_switches(
    deps: VaultDeps, bingx: FakeBingx
) -> None:
    user_id = user()
    await connect_pair(deps, user_id)
    refused = await connect_pair(deps, user_id, NEW_KEY, "NotTheRightSecret012345")
    assert not refused.ok  # a failed verification leaves the old pair working
    signed = await sign(SignPayload(user_id=user_id, payload="timestamp=2"), deps)
    assert signed.data["signature"] == plain_hmac(SECRET, "timestamp=2")
    reply = await connect_pair(deps, user_id, NEW_KEY, NEW_SECRET)
    assert reply.ok and reply.data["replaced_previous"] is True
    credential = await deps.credentials.load(AggregateId(user_id))
    assert credential.state.signing_key_version == 2
    signed = await sign(SignPayload(user_id=user_id, payload="timestamp=2"), deps)
    assert (signed.data["signature"], signed.data["api_key"]) == (
        plain_hmac(NEW_SECRET, "timestamp=2"),
        NEW_KEY,
    )


async def test_rotation_rewraps_and_signing_goes_on(deps: VaultDeps, store: EventStore) -> None:
    user_id = user()
    await connect_pair(deps, user_id)
    admin = Actor(user_id="admin-1", role="admin", ip="198.51.100.9")
    rotated = await rotate(
        RotateCredential(user_id=user_id, actor=admin, correlation_id="c-1"), deps
    )
    assert rotated.ok and rotated.data["key_version"] == 2
    last = (await store.load(AggregateRef(type="cred", id=AggregateId(user_id))))[-1]
    assert (last.type, last.actor, last.correlation_id) == (
        "credential.api_key_rewrapped",
        "admin-1",  # who did it, for the audit trail
        "c-1",
    )
    signed = await sign(SignPayload(user_id=user_id, payload="timestamp=3"), deps)
    assert (signed.data["signature"], signed.data["api_key"]) == (
        plain_hmac(SECRET, "timestamp=3"),
        API_KEY,
    )


async def test_a_demo_key_is_verified_and_checked_on_the_demo_bingx(
    deps: VaultDeps, store: EventStore, bingx: FakeBingx
) -> None:
    demo = FakeBingx()  # BingX VST: knows only its own keys
    demo.accounts[NEW_KEY] = (NEW_SECRET, (2, 3))
    deps.demo_probe = demo
    user_id = user()
    wrapping = await deps.keeper.wrapping_key()
    as_live = wrapped_connect(wrapping, user_id, NEW_KEY, NEW_SECRET)
    del bingx.accounts[NEW_KEY]  # live BingX does not know a demo key
    assert not (await connect(as_live, deps)).ok
    as_demo = wrapped_connect(wrapping, user_id, NEW_KEY, NEW_SECRET, environment="demo")
    reply = await connect(as_demo, deps)
    assert reply.ok and reply.data["environment"] == "demo", reply
    assert '"environment":"demo"' in await stored_text(store, user_id)
    checked = await verify(VerifyCredential(user_id=user_id), deps)
    assert checked.ok, checked  # the stored key is checked where it lives
    del demo.accounts[NEW_KEY]
    assert not (await verify(VerifyCredential(user_id=user_id), deps)).ok
