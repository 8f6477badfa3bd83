"""nats-server with JetStream, per-service users, and a chosen fsync policy.

The admin user (operators' CLI, stream set-up) has a password; each service user is an
NKEY: its seed is made once in ``<data_dir>/nkeys/<service>.nk`` (mode 0600), the
server's config holds only the public key, and the service reads its seed from the file
``FLEET_NATS_NKEY_SEED_FILE`` names (:meth:`NatsServer.env_for`).
"""

from __future__ import annotations

import json
import secrets
import ssl
from pathlib import Path
from typing import Any, Literal

from fleet.stack.nats_config import NatsLayout, NatsTls, nats_config
from fleet.stack.nkey_files import ensure_seeds, public_key
from fleet.stack.permissions import DEPLOYED_SCOPE, SERVICE_USERS, Scope, inbox_prefix
from fleet.stack.process import ManagedProcess, bin_dir, free_port, port_answers
from fleet.stack.tls import TlsFiles

__all__ = ["SERVICE_USERS", "NatsServer", "SyncInterval"]

SyncInterval = Literal["default", "always"]


class NatsServer:
    """A nats-server whose data (store, admin password, service seeds, config) lives in
    ``data_dir``.

    ``scope`` names the event stream and subject prefix the service users may use:
    ``fleet up``'s by default, ``Scope.any()`` for the test suite (a stream per test).
    With ``tls`` the server requires TLS from every client (plaintext is refused) and its
    clients are told the CA (``FLEET_NATS_CA_FILE``) to verify it with.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        sync_interval: SyncInterval = "default",
        scope: Scope = DEPLOYED_SCOPE,
        tls: TlsFiles | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.tls = tls
        self.scope = scope
        self.sync_interval = sync_interval
        self.store_dir = data_dir / "jetstream"
        self.port = port or self._saved("port") or free_port()
        self.monitor_port = self._saved("monitor_port") or free_port()
        self.passwords = self._passwords()
        self.seed_files = self._seed_files()
        self.process = ManagedProcess(
            "nats-server",
            [str(bin_dir() / "nats-server"), "-c", str(self._write_config())],
            data_dir / "nats.log",
        )

    def _saved(self, key: str) -> int | None:
        path = self.data_dir / "ports.json"
        return int(json.loads(path.read_text())[key]) if path.exists() else None

    def _passwords(self) -> dict[str, str]:
        """The admin's password, made once (a data dir from before NKEYs keeps the
        services' old passwords here, unused)."""
        path = self.data_dir / "users.json"
        saved: dict[str, str] = dict(json.loads(path.read_text())) if path.exists() else {}
        missing = [name for name in ("admin",) if name not in saved]
        if not missing:
            return saved
        users = saved | {name: secrets.token_urlsafe(24) for name in missing}
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text(json.dumps(users))
        return users

    def _seed_files(self) -> dict[str, Path]:
        """Each service user's seed file, made once (a data dir from before a service
        existed gets the missing one)."""
        return ensure_seeds(self.data_dir / "nkeys", SERVICE_USERS)

    def public_key(self, user: str) -> str:
        """``user``'s public NKEY (``U…``), from its seed."""
        return public_key(self.seed_files[user])

    def _write_config(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        ports = {"port": self.port, "monitor_port": self.monitor_port}
        (self.data_dir / "ports.json").write_text(json.dumps(ports))
        layout = NatsLayout(
            host="127.0.0.1",
            client_port=self.port,
            monitor_port=self.monitor_port,
            store_dir=str(self.store_dir),
            server_name="fleet-embedded",
            sync_always=self.sync_interval == "always",
            tls=None
            if self.tls is None
            else NatsTls(str(self.tls.cert_file), str(self.tls.key_file), str(self.tls.ca_file)),
        )
        path = self.data_dir / "nats.conf"
        path.touch(mode=0o600)
        public = {name: self.public_key(name) for name in SERVICE_USERS}
        path.write_text(nats_config(layout, self.passwords, self.scope, public))
        return path

    def url_for(self, user: str) -> str:
        """Connection URL of ``user``: with the admin's password; a service's carries no
        credential (its seed file does: :meth:`env_for`, :meth:`connect_options`)."""
        if user in SERVICE_USERS:
            return self.public_url
        return f"nats://{user}:{self.passwords[user]}@127.0.0.1:{self.port}"

    def env_for(self, user: str) -> dict[str, str]:
        """The environment a service process connects as ``user`` with."""
        env = {"FLEET_NATS_URL": self.url_for(user)}
        if self.tls is not None:
            env["FLEET_NATS_CA_FILE"] = str(self.tls.ca_file)
        if user in SERVICE_USERS:
            env["FLEET_NATS_NKEY_SEED_FILE"] = str(self.seed_files[user])
        return env

    def connect_options(self, user: str) -> dict[str, Any]:
        """``nats.connect(**options)`` as ``user``: its URL, its seed and its own inbox."""
        options: dict[str, Any] = {"servers": self.url_for(user)}
        if self.tls is not None:
            options["tls"] = ssl.create_default_context(cafile=str(self.tls.ca_file))
        if user in SERVICE_USERS:
            options["inbox_prefix"] = inbox_prefix(user)
            options["nkeys_seed"] = str(self.seed_files[user])
        return options

    @property
    def admin_url(self) -> str:
        """Connection URL of the admin user (stream administration)."""
        return self.url_for("admin")

    @property
    def public_url(self) -> str:
        """The server address without credentials (for status output)."""
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start and wait until the monitoring endpoint and client port answer."""
        self.process.start()
        self.process.wait_until(lambda: port_answers(self.port) and port_answers(self.monitor_port))

    def stop(self) -> None:
        """Stop gracefully."""
        self.process.stop()

    def kill(self) -> None:
        """SIGKILL (crash tests); ``start()`` again resumes on the same store."""
        self.process.kill()
