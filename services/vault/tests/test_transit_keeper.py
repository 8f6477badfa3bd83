"""The transit adapter against a real OpenBao: BYOK HMAC keys, batch signing, derived
API-key sealing, rotation, crypto-shredding, and failing closed."""

import base64
import hashlib
import hmac
import uuid

import hvac
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from fleet.stack import OpenBaoServer
from fleet.vault.adapters.transit import TransitKeeper, signing_key_name
from fleet.vault.errors import KeeperUnavailable, KeyNotFound, KeyRefused
from fleet.vaultwrap import WrappingKey

from .conftest import transit_keeper

pytestmark = pytest.mark.integration

# BingX's documented example secret (spec §2.6) and a short one that gets zero-padded.
SECRETS = [
    "mheO6dR8ovSsxZQCOYEFCtelpuxcWGTfHw7te326y6jOwq5WpvFQ9JNljoTwBXZGv5It07m9RXSPpDQEK2w",
    "short-secret",
]
PAYLOAD = "quantity=1&side=BUY&symbol=BTC-USDT&timestamp=1700000000000&type=MARKET"


def user() -> str:
    return "u" + uuid.uuid4().hex[:12]


def plain_hmac(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


async def imported(keeper: TransitKeeper, user_id: str, secret: str) -> int:
    """The secret wrapped as the gateway wraps it, imported as the user's key."""
    return await keeper.import_secret(user_id, (await keeper.wrapping_key()).wrap(secret))


@pytest.mark.parametrize("secret", SECRETS)
async def test_signature_equals_plain_hmac_sha256(keeper: TransitKeeper, secret: str) -> None:
    user_id = user()
    assert await imported(keeper, user_id, secret) == 1
    assert await keeper.sign(user_id, PAYLOAD) == plain_hmac(secret, PAYLOAD)


async def test_batch_signing_keeps_the_order(keeper: TransitKeeper) -> None:
    user_id = user()
    await imported(keeper, user_id, SECRETS[0])
    payloads = [f"{PAYLOAD}&n={n}" for n in range(5)]
    signed = await keeper.sign_many(user_id, payloads, key_version=1)
    assert signed == [plain_hmac(SECRETS[0], p) for p in payloads]


async def test_imported_key_is_not_exportable(
    keeper: TransitKeeper, vault_client: hvac.Client
) -> None:
    user_id = user()
    await imported(keeper, user_id, SECRETS[0])
    info = vault_client.adapter.get(f"/v1/transit/keys/{signing_key_name(user_id)}")["data"]
    assert info["exportable"] is False
    assert SECRETS[0] not in str(info)


async def test_new_credentials_become_a_new_key_version(keeper: TransitKeeper) -> None:
    user_id = user()
    await imported(keeper, user_id, SECRETS[0])
    assert await imported(keeper, user_id, "another-secret-of-the-same-user") == 2
    assert await keeper.sign(user_id, PAYLOAD) == plain_hmac(
        "another-secret-of-the-same-user", PAYLOAD
    )
    # the version the log recorded still signs with the old pair until the switch
    assert await keeper.sign(user_id, PAYLOAD, key_version=1) == plain_hmac(SECRETS[0], PAYLOAD)


async def test_a_staged_secret_signs_apart_from_the_users_key_until_discarded(
    keeper: TransitKeeper, vault_client: hvac.Client
) -> None:
    user_id = user()
    await imported(keeper, user_id, SECRETS[0])
    pending = await keeper.stage_secret(user_id, (await keeper.wrapping_key()).wrap(SECRETS[1]))
    assert pending.startswith(signing_key_name(user_id) + ".pending-")
    assert await keeper.sign_staged(pending, PAYLOAD) == plain_hmac(SECRETS[1], PAYLOAD)
    assert await keeper.sign(user_id, PAYLOAD) == plain_hmac(SECRETS[0], PAYLOAD)
    info = vault_client.adapter.get(f"/v1/transit/keys/{pending}")["data"]
    assert info["exportable"] is False
    await keeper.discard_staged(pending)
    with pytest.raises(KeyNotFound):
        await keeper.sign_staged(pending, PAYLOAD)
    assert await keeper.sign(user_id, PAYLOAD) == plain_hmac(SECRETS[0], PAYLOAD)


async def test_a_secret_wrapped_with_another_key_is_refused(keeper: TransitKeeper) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=4096).public_key()
    pem = other.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    ours = (await keeper.wrapping_key()).wrap(SECRETS[0])
    tampered = base64.b64encode(base64.b64decode(ours)[:-1] + b"x").decode()
    for ciphertext in (WrappingKey.from_pem(pem).wrap(SECRETS[0]), tampered, "AAAA"):
        with pytest.raises(KeyRefused):
            await keeper.stage_secret(user(), ciphertext)


async def test_api_key_ciphertext_is_bound_to_its_user(keeper: TransitKeeper) -> None:
    alice, bob = user(), user()
    sealed = await keeper.seal_api_key(alice, "ALICE-API-KEY-1234")
    await keeper.seal_api_key(bob, "BOB-API-KEY-5678")
    assert "ALICE" not in sealed
    assert await keeper.open_api_key(alice, sealed) == "ALICE-API-KEY-1234"
    with pytest.raises(KeyRefused):
        await keeper.open_api_key(bob, sealed)


async def test_rotation_rewraps_and_old_ciphertext_still_opens(keeper: TransitKeeper) -> None:
    user_id = user()
    sealed = await keeper.seal_api_key(user_id, "KEY-TO-ROTATE")
    rewrapped = await keeper.rotate_api_key_key(user_id, sealed)
    assert rewrapped.startswith("vault:v2:")
    assert await keeper.open_api_key(user_id, rewrapped) == "KEY-TO-ROTATE"
    assert await keeper.open_api_key(user_id, sealed) == "KEY-TO-ROTATE"


async def test_shredding_makes_everything_of_the_user_unusable(keeper: TransitKeeper) -> None:
    user_id = user()
    await imported(keeper, user_id, SECRETS[0])
    sealed = await keeper.seal_api_key(user_id, "KEY-TO-SHRED")
    await keeper.shred(user_id)
    with pytest.raises(KeyNotFound):
        await keeper.sign(user_id, PAYLOAD)
    with pytest.raises(KeyNotFound):
        await keeper.open_api_key(user_id, sealed)
    await keeper.shred(user_id)  # idempotent


async def test_unreachable_vault_fails_closed() -> None:
    keeper = transit_keeper("http://127.0.0.1:9", "x", timeout_s=1)
    with pytest.raises(KeeperUnavailable, match="unreachable"):
        await keeper.sign("someone", PAYLOAD)
    await keeper.close()


async def test_a_refused_token_is_unavailable_not_the_callers_fault(
    openbao_server: OpenBaoServer,
) -> None:
    keeper = transit_keeper(openbao_server.addr, "not-a-token")
    with pytest.raises(KeeperUnavailable, match="permission denied"):
        await keeper.sign("someone", PAYLOAD)
    await keeper.close()
