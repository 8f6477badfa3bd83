"""Compose's ``openbao-init`` against a real, uninitialised OpenBao server (file storage, as
in compose): it initialises and unseals it, keeps the root token and unseal key in the
operator's file only, and hands the vault service nothing but a one-use AppRole secret id
that logs in once, to a token with only the ``fleet-vault`` policy; run again after a
restart (sealed), it unseals and mints a fresh secret id."""

import json
import uuid
from pathlib import Path

import hvac
import pytest
from hvac.exceptions import InvalidRequest

from fleet.stack import OpenBaoServer
from fleet.stack.openbao import VAULT_POLICY
from fleet.stack.openbao_init import bootstrap
from fleet.stack.process import port_answers

pytestmark = pytest.mark.integration


def start_uninitialised(server: OpenBaoServer) -> None:
    server._write_config()  # the server as compose runs it: Fleet does not initialise it
    server.process.start()
    server.process.wait_until(lambda: port_answers(server.port))


def login(server: OpenBaoServer, role_id: str, secret_id: str) -> dict[str, object]:
    answer = hvac.Client(url=server.addr).auth.approle.login(role_id, secret_id)
    return dict(answer["auth"])


def test_init_hands_vault_only_a_one_use_approle_secret_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    operator, credentials = tmp_path / "operator", tmp_path / "vault"
    operator.mkdir()
    credentials.mkdir()
    role_id = str(uuid.uuid4())
    server = OpenBaoServer(tmp_path / "openbao")
    monkeypatch.setenv("FLEET_VAULT_ADDR", server.addr)
    monkeypatch.setenv("FLEET_OPENBAO_KEYS", str(operator / "openbao-keys.json"))
    monkeypatch.setenv("FLEET_VAULT_ROLE_ID", role_id)
    monkeypatch.setenv("FLEET_VAULT_SECRET_ID_FILE", str(credentials / "secret-id"))
    start_uninitialised(server)
    try:
        bootstrap()
        keys = json.loads((operator / "openbao-keys.json").read_text())
        assert set(keys) == {"unseal_key", "root_token"}
        assert [p.name for p in credentials.iterdir()] == ["secret-id"]  # nothing else
        secret_id = (credentials / "secret-id").read_text().strip()
        assert (
            keys["root_token"] not in secret_id
            and (credentials / "secret-id").stat().st_mode & 0o077 == 0
        )

        auth = login(server, role_id, secret_id)
        assert auth["token_policies"] == [VAULT_POLICY]  # transit for Fleet's keys, no more
        with pytest.raises(InvalidRequest):
            login(server, role_id, secret_id)  # one use

        server.process.stop()  # OpenBao restarts sealed; the next `up` runs init again
        server.process.start()
        server.process.wait_until(lambda: port_answers(server.port))
        bootstrap()
        assert not hvac.Client(url=server.addr).sys.is_sealed()
        fresh = (credentials / "secret-id").read_text().strip()
        assert fresh != secret_id
        assert login(server, role_id, fresh)["token_policies"] == [VAULT_POLICY]
    finally:
        server.stop()


def test_init_refuses_to_run_without_the_role_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLEET_VAULT_ROLE_ID", raising=False)
    with pytest.raises(SystemExit, match="FLEET_VAULT_ROLE_ID"):
        bootstrap()
