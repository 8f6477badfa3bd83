"""What the vault service's Vault identity may and may not do (real OpenBao): the
``fleet-vault`` policy, and the production login by AppRole with one-use secret ids."""

import uuid
from pathlib import Path

import hvac
import pytest

from fleet.stack import OpenBaoServer
from fleet.stack.openbao import SECRET_ID_ISSUER_POLICY, enable_approle, issue_secret_id
from fleet.vault.adapters.transit import TransitKeeper
from fleet.vault.adapters.vault_auth import AppRoleLogin
from fleet.vault.adapters.vault_http import VaultHttp
from fleet.vault.errors import KeeperUnavailable

from .conftest import transit_keeper

pytestmark = pytest.mark.integration
SECRET = "LeastPrivilegeSecret0123456789"


async def wrapped(keeper: TransitKeeper) -> str:
    return (await keeper.wrapping_key()).wrap(SECRET)


@pytest.fixture
async def service_keeper(openbao_server: OpenBaoServer) -> TransitKeeper:
    return transit_keeper(openbao_server.addr, openbao_server.vault_service_token())


async def test_the_service_token_reaches_only_its_key_families(
    service_keeper: TransitKeeper, openbao_server: OpenBaoServer
) -> None:
    user_id = "p" + uuid.uuid4().hex[:10]
    await service_keeper.import_secret(user_id, await wrapped(service_keeper))
    pending = await service_keeper.stage_secret(user_id, await wrapped(service_keeper))
    assert len(await service_keeper.sign_staged(pending, "timestamp=1")) == 64
    await service_keeper.discard_staged(pending)  # pending keys are within its family
    sign_key = f"fleet-sign-{user_id}"
    denied = [
        ("GET", f"transit/export/hmac-key/{sign_key}/latest", None),  # no way out
        ("GET", f"transit/backup/{sign_key}", None),
        ("POST", f"transit/keys/{sign_key}/config", {"exportable": True}),
        ("POST", f"transit/keys/{sign_key}/config", {"allow_plaintext_backup": True}),
        ("POST", f"transit/keys/fleet-apikey-{user_id}", {"exportable": "true"}),
        ("POST", "transit/keys/somebody-elses-key", {}),
        ("POST", f"transit/decrypt/{sign_key}", {"ciphertext": "vault:v1:AAAA"}),
        ("LIST", "transit/keys", None),
        ("GET", "sys/policies/acl/fleet-vault", None),
        ("POST", "auth/token/create", {}),
        ("POST", "sys/mounts/kv", {"type": "kv"}),
    ]
    for method, path, body in denied:
        with pytest.raises(KeeperUnavailable, match="permission denied"):
            await service_keeper.http.call(method, path, body)
    assert (await service_keeper.http.call("GET", "auth/token/lookup-self"))["data"][
        "policies"
    ] == ["fleet-vault"]
    await service_keeper.http.call("POST", "auth/token/renew-self", {})
    await service_keeper.close()


async def test_approle_login_with_a_one_use_secret_id(
    openbao_server: OpenBaoServer, tmp_path: Path
) -> None:
    root = openbao_server.client()
    role_id = enable_approle(root)
    issuer = root.auth.token.create(policies=[SECRET_ID_ISSUER_POLICY], no_default_policy=True)
    issuer_client = hvac.Client(url=openbao_server.addr, token=issuer["auth"]["client_token"])
    secret_id_file = tmp_path / "secret-id"
    issue_secret_id(issuer_client, secret_id_file)
    copy = tmp_path / "copy"
    copy.write_text(secret_id_file.read_text())
    with pytest.raises(hvac.exceptions.Forbidden):  # the issuer mints ids, nothing else
        issuer_client.adapter.post("/v1/transit/hmac/fleet-sign-x/sha2-256", json={"input": ""})

    now = [0.0]
    login = AppRoleLogin(role_id, secret_id_file, clock=lambda: now[0])
    keeper = TransitKeeper(VaultHttp(openbao_server.addr, login))
    user_id = "a" + uuid.uuid4().hex[:10]
    assert await keeper.import_secret(user_id, await wrapped(keeper)) == 1
    assert not secret_id_file.exists()  # consumed, removed
    now[0] += 7200  # past half the token's period: renewed before use, still signing
    assert len(await keeper.sign(user_id, "timestamp=1")) == 64
    assert login.renew_at == 7200 + 1800  # renew-self answered a fresh hour
    await keeper.close()

    replay = TransitKeeper(VaultHttp(openbao_server.addr, AppRoleLogin(role_id, copy)))
    with pytest.raises(KeeperUnavailable, match="already used"):
        await replay.sign(user_id, "timestamp=1")
    await replay.close()
