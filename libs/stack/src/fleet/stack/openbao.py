"""OpenBao: persistent on-disk storage (integrated raft; OpenBao 2.x has no ``file``
backend), initialised and unsealed by Fleet, transit enabled,
a least-privilege token for the vault service; or dev mode (tests).

The unseal key and root token are kept in the data dir with 0600 permissions: fine for
one machine, not how production runs (see deploy/RUNBOOKS.md).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import httpx
import hvac

from fleet.stack.process import (
    ManagedProcess,
    StackError,
    bin_dir,
    free_port,
    go_environment,
    port_answers,
)
from fleet.stack.tls import TlsFiles

VAULT_POLICY = "fleet-vault"
# The vault service's only rights: its two key families in transit. No export, backup or
# restore path; marking a key exportable (or plaintext-backup) is denied even on the paths
# it may write; nothing in sys/, no other mount, no token creation. Tokens carry no
# ``default`` policy, so renew/lookup of itself is granted here (AppRole tokens renew).
VAULT_POLICY_HCL = """
path "transit/wrapping_key" { capabilities = ["read"] }
path "transit/keys/fleet-sign-*" {
  capabilities = ["create", "read", "update", "delete"]
  denied_parameters = { "exportable" = [], "allow_plaintext_backup" = [] }
}
path "transit/keys/fleet-apikey-*" {
  capabilities = ["create", "read", "update", "delete"]
  denied_parameters = { "exportable" = [], "allow_plaintext_backup" = [] }
}
path "transit/hmac/fleet-sign-*" { capabilities = ["update"] }
path "transit/hmac/fleet-apikey-index/sha2-256" { capabilities = ["update"] }
path "transit/encrypt/fleet-apikey-*" { capabilities = ["update"] }
path "transit/decrypt/fleet-apikey-*" { capabilities = ["update"] }
path "transit/rewrap/fleet-apikey-*" { capabilities = ["update"] }
path "auth/token/renew-self" { capabilities = ["update"] }
path "auth/token/lookup-self" { capabilities = ["read"] }
"""
APPROLE = "fleet-vault"
SECRET_ID_ISSUER_POLICY = "fleet-vault-secret-id-issuer"  # noqa: S105 - a policy name
# Whoever delivers secret ids (a pipeline, the pod's init container) may mint them, nothing
# else: not sign, not decrypt, not read the role id.
SECRET_ID_ISSUER_HCL = f"""
path "auth/approle/role/{APPROLE}/secret-id" {{ capabilities = ["update"] }}
"""


def write_secret(path: Path, content: str) -> None:
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(content)


class OpenBaoServer:
    """An OpenBao server; ``dev=True`` keeps everything in memory (tests only).

    With ``tls`` (persistent mode only) the listener serves HTTPS with that certificate,
    ``addr`` is ``https://…`` and clients verify it against ``tls.ca_file``."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        dev: bool = False,
        tls: TlsFiles | None = None,
    ) -> None:
        if tls is not None and dev:
            raise StackError("OpenBao's dev mode cannot serve Fleet's certificate: use dev=False")
        self.data_dir = data_dir
        self.dev = dev
        self.tls = tls
        self.port = port or self._saved_port("port") or free_port()
        self.cluster_port = self._saved_port("cluster_port") or free_port()
        scheme = "http" if tls is None else "https"
        self.addr = f"{scheme}://127.0.0.1:{self.port}"
        # what clients verify the server with: the CA file, or plain HTTP
        self.verify: str | bool = str(tls.ca_file) if tls is not None else True
        self.root_token = secrets.token_urlsafe(16) if dev else ""
        self.process = ManagedProcess(
            "openbao", self._argv(), data_dir / "openbao.log", env=go_environment()
        )

    def _saved_port(self, key: str) -> int | None:
        path = self.data_dir / "openbao.json"
        return int(json.loads(path.read_text())[key]) if path.exists() else None

    def _argv(self) -> list[str]:
        exe = str(bin_dir() / "bao")
        if self.dev:
            return [
                exe,
                "server",
                "-dev",
                f"-dev-root-token-id={self.root_token}",
                f"-dev-listen-address=127.0.0.1:{self.port}",
            ]
        return [exe, "server", f"-config={self.data_dir / 'openbao.hcl'}"]

    def _write_config(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "openbao.json").write_text(
            json.dumps({"port": self.port, "cluster_port": self.cluster_port})
        )
        storage = self.data_dir / "storage"
        storage.mkdir(mode=0o700, exist_ok=True)
        if self.tls is None:
            tls = "  tls_disable = true\n"
        else:
            tls = (
                f'  tls_cert_file = "{self.tls.cert_file}"\n'
                f'  tls_key_file = "{self.tls.key_file}"\n  tls_min_version = "tls12"\n'
            )
        (self.data_dir / "openbao.hcl").write_text(
            f'storage "raft" {{\n  path = "{storage}"\n  node_id = "fleet-1"\n}}\n'
            f'listener "tcp" {{\n  address = "127.0.0.1:{self.port}"\n'
            f'  cluster_address = "127.0.0.1:{self.cluster_port}"\n{tls}}}\n'
            f'api_addr = "{self.addr}"\ncluster_addr = "http://127.0.0.1:{self.cluster_port}"\n'
            "ui = false\n"
        )

    def client(self, token: str | None = None) -> hvac.Client:
        """An hvac client (root token unless another is given)."""
        return hvac.Client(
            url=self.addr, token=token or self.root_token, timeout=60, verify=self.verify
        )

    def start(self) -> None:
        """Start; in persistent mode initialise once, unseal, enable transit, write policy."""
        if not self.dev:
            self._write_config()
        self.process.start()
        self.process.wait_until(lambda: port_answers(self.port))
        if not self.dev:
            self._init_and_unseal()
        self._enable_transit()

    def _init_and_unseal(self) -> None:
        self.root_token = initialise_and_unseal(self.client(), self.data_dir / "openbao-keys.json")

    def _active(self) -> bool:
        try:
            answer = httpx.get(f"{self.addr}/v1/sys/health", timeout=2, verify=self.verify)
            return answer.status_code == 200
        except httpx.HTTPError:
            return False

    def _enable_transit(self) -> None:
        # After an unseal, raft elects its (single) leader before writes are accepted.
        self.process.wait_until(self._active, timeout=60)
        enable_transit(self.client())

    def vault_service_token(self) -> str:
        """A token with only the ``fleet-vault`` policy (created once, kept 0600)."""
        return vault_service_token(self.client(), self.vault_service_token_file())

    def vault_service_token_file(self) -> Path | None:
        """Where the persistent server keeps that token (``None`` in dev mode)."""
        return None if self.dev else self.data_dir / "vault-service-token"

    def stop(self) -> None:
        """Stop the server (persistent mode seals itself by stopping)."""
        self.process.stop()


def initialise_and_unseal(client: hvac.Client, keys_path: Path) -> str:
    """Initialise once (1 key share), keep the keys in ``keys_path`` (0600), unseal;
    return the root token."""
    if not client.sys.is_initialized():
        answer = client.sys.initialize(secret_shares=1, secret_threshold=1)
        keys = {"unseal_key": answer["keys_base64"][0], "root_token": answer["root_token"]}
        write_secret(keys_path, json.dumps(keys))
    if not keys_path.exists():
        raise StackError(f"OpenBao is initialised but its keys are not in {keys_path}")
    saved = json.loads(keys_path.read_text())
    if client.sys.is_sealed():
        client.sys.submit_unseal_key(saved["unseal_key"])
    return str(saved["root_token"])


def enable_transit(client: hvac.Client) -> None:
    """Mount transit if missing and write the ``fleet-vault`` policy (idempotent)."""
    mounts = client.sys.list_mounted_secrets_engines()
    if "transit/" not in mounts.get("data", mounts):
        client.sys.enable_secrets_engine("transit")
    client.sys.create_or_update_policy(VAULT_POLICY, VAULT_POLICY_HCL)


def vault_service_token(client: hvac.Client, path: Path | None) -> str:
    """The vault service's token (only the ``fleet-vault`` policy), kept in ``path``."""
    if path is not None and path.exists():
        return path.read_text().strip()
    answer = client.auth.token.create(
        policies=[VAULT_POLICY],
        no_parent=True,
        no_default_policy=True,
        period="768h",
        display_name="fleet-vault",
    )
    token = str(answer["auth"]["client_token"])
    if path is not None:
        write_secret(path, token)
    return token


def enable_approle(
    client: hvac.Client,
    *,
    secret_id_ttl: str = "10m",  # noqa: S107
    role_id: str | None = None,
) -> str:
    """AppRole ``fleet-vault`` (idempotent): one-use secret ids, periodic tokens with only
    the ``fleet-vault`` policy; plus the issuer policy. Returns the role id (``role_id``
    when given: an operator-chosen one, e.g. compose's ``.env``)."""
    if "approle/" not in client.sys.list_auth_methods().get("data", {}):
        client.sys.enable_auth_method("approle")
    client.adapter.post(
        f"/v1/auth/approle/role/{APPROLE}",
        json={
            "token_policies": [VAULT_POLICY],
            "token_no_default_policy": True,
            "token_period": "1h",
            "secret_id_num_uses": 1,
            "secret_id_ttl": secret_id_ttl,
        },
    )
    client.sys.create_or_update_policy(SECRET_ID_ISSUER_POLICY, SECRET_ID_ISSUER_HCL)
    if role_id:
        client.adapter.post(f"/v1/auth/approle/role/{APPROLE}/role-id", json={"role_id": role_id})
    answer = client.adapter.get(f"/v1/auth/approle/role/{APPROLE}/role-id")
    return str(answer["data"]["role_id"])


def issue_secret_id(client: hvac.Client, path: Path) -> None:
    """Mint one one-use secret id of ``fleet-vault`` into ``path`` (0600)."""
    answer = client.adapter.post(f"/v1/auth/approle/role/{APPROLE}/secret-id", json={})
    write_secret(path, str(answer["data"]["secret_id"]))
