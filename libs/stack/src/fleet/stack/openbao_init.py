"""``python -m fleet.stack.openbao_init [approle | secret-id]``: bootstrap an external
OpenBao and hand the vault service its credentials.

* no argument (compose init job, at every ``docker compose up``): initialise once and
  unseal (root token and unseal key in ``FLEET_OPENBAO_KEYS``, an operator-only volume),
  enable transit and the ``fleet-vault`` AppRole with the role id ``FLEET_VAULT_ROLE_ID``,
  and mint one one-use secret id into ``FLEET_VAULT_SECRET_ID_FILE``: all the vault
  service gets. On one machine only.
* ``approle`` (production bootstrap, once, with an admin token in ``FLEET_VAULT_TOKEN_FILE``):
  enable the ``fleet-vault`` AppRole (one-use secret ids), print its role id, and write a
  token that may only mint secret ids to ``FLEET_VAULT_ISSUER_TOKEN_FILE``.
* ``secret-id`` (the vault pod's init container, every start): with that issuer token,
  mint one one-use secret id into ``FLEET_VAULT_SECRET_ID_FILE``; the service consumes it
  at login and deletes the file.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import httpx
import hvac

from fleet.stack.openbao import (
    SECRET_ID_ISSUER_POLICY,
    enable_approle,
    enable_transit,
    initialise_and_unseal,
    issue_secret_id,
    write_secret,
)


def _verify() -> str | bool:
    """What an https OpenBao is verified with: ``FLEET_VAULT_CA_FILE`` (verify-full against
    Fleet's CA) or the system's CAs."""
    return os.environ.get("FLEET_VAULT_CA_FILE") or True


def _wait(addr: str, acceptable: set[int], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if (
                httpx.get(f"{addr}/v1/sys/health", timeout=2, verify=_verify()).status_code
                in acceptable
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit(f"openbao_init: {addr} did not answer in {timeout:.0f} s")


def _addr() -> str:
    return os.environ.get("FLEET_VAULT_ADDR", "http://openbao:8200")


def _file(variable: str, default: str) -> Path:
    return Path(os.environ.get(variable, default))


def bootstrap() -> None:
    addr = _addr()
    keys = _file("FLEET_OPENBAO_KEYS", "/bootstrap/openbao-keys.json")
    secret_id_file = _file("FLEET_VAULT_SECRET_ID_FILE", "/run/fleet/vault/secret-id")
    role_id = os.environ.get("FLEET_VAULT_ROLE_ID", "")
    if not role_id:
        raise SystemExit("openbao_init: FLEET_VAULT_ROLE_ID is not set (the vault's role id)")
    _wait(addr, {200, 429, 472, 473, 501, 503})  # any answer: up, maybe sealed/uninitialised
    root = initialise_and_unseal(hvac.Client(url=addr, timeout=60, verify=_verify()), keys)
    _wait(addr, {200})
    client = hvac.Client(url=addr, token=root, timeout=60, verify=_verify())
    enable_transit(client)
    enable_approle(client, role_id=role_id)
    issue_secret_id(client, secret_id_file)
    print("openbao ready: transit enabled, one-use AppRole secret id written", file=sys.stderr)


def approle() -> None:
    admin = _file("FLEET_VAULT_TOKEN_FILE", "/bootstrap/admin-token").read_text().strip()
    client = hvac.Client(url=_addr(), token=admin, timeout=60, verify=_verify())
    enable_transit(client)
    role_id = enable_approle(client)
    issuer = client.auth.token.create(
        policies=[SECRET_ID_ISSUER_POLICY], no_parent=True, no_default_policy=True, period="768h"
    )
    issuer_file = _file("FLEET_VAULT_ISSUER_TOKEN_FILE", "/bootstrap/secret-id-issuer-token")
    write_secret(issuer_file, str(issuer["auth"]["client_token"]))
    print(role_id)  # not a secret on its own: put it in the vault Deployment's config


def secret_id() -> None:
    issuer = _file("FLEET_VAULT_ISSUER_TOKEN_FILE", "/var/run/secrets/issuer/token")
    client = hvac.Client(
        url=_addr(), token=issuer.read_text().strip(), timeout=30, verify=_verify()
    )
    issue_secret_id(client, _file("FLEET_VAULT_SECRET_ID_FILE", "/run/fleet/secret-id"))
    print("one-use secret id written", file=sys.stderr)


def main() -> None:
    modes = {"": bootstrap, "approle": approle, "secret-id": secret_id}
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode not in modes:
        raise SystemExit(f"openbao_init: unknown mode {mode!r} (approle, secret-id or none)")
    modes[mode]()


if __name__ == "__main__":
    main()
