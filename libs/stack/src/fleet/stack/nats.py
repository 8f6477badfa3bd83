"""nats-server with JetStream, per-service users, and a chosen fsync policy."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Literal

from fleet.stack.nats_config import NatsLayout, nats_config
from fleet.stack.permissions import DEPLOYED_SCOPE, SERVICE_USERS, Scope, inbox_prefix
from fleet.stack.process import ManagedProcess, bin_dir, free_port, port_answers

__all__ = ["SERVICE_USERS", "NatsServer", "SyncInterval"]

SyncInterval = Literal["default", "always"]


class NatsServer:
    """A nats-server whose data (store, passwords, config) lives in ``data_dir``.

    ``scope`` names the event stream and subject prefix the service users may use:
    ``fleet up``'s by default, ``Scope.any()`` for the test suite (a stream per test).
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        sync_interval: SyncInterval = "default",
        scope: Scope = DEPLOYED_SCOPE,
    ) -> None:
        self.data_dir = data_dir
        self.scope = scope
        self.sync_interval = sync_interval
        self.store_dir = data_dir / "jetstream"
        self.port = port or self._saved("port") or free_port()
        self.monitor_port = self._saved("monitor_port") or free_port()
        self.passwords = self._passwords()
        self.process = ManagedProcess(
            "nats-server",
            [str(bin_dir() / "nats-server"), "-c", str(self._write_config())],
            data_dir / "nats.log",
        )

    def _saved(self, key: str) -> int | None:
        path = self.data_dir / "ports.json"
        return int(json.loads(path.read_text())[key]) if path.exists() else None

    def _passwords(self) -> dict[str, str]:
        """Every user's password, made once; a data dir from before a user existed (say
        ``notify``) gets the missing ones added, the others kept."""
        path = self.data_dir / "users.json"
        saved: dict[str, str] = dict(json.loads(path.read_text())) if path.exists() else {}
        missing = [name for name in ("admin", *SERVICE_USERS) if name not in saved]
        if not missing:
            return saved
        users = saved | {name: secrets.token_urlsafe(24) for name in missing}
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text(json.dumps(users))
        return users

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
        )
        path = self.data_dir / "nats.conf"
        path.touch(mode=0o600)
        path.write_text(nats_config(layout, self.passwords, self.scope))
        return path

    def url_for(self, user: str) -> str:
        """Connection URL with ``user``'s credentials."""
        return f"nats://{user}:{self.passwords[user]}@127.0.0.1:{self.port}"

    def connect_options(self, user: str) -> dict[str, str]:
        """``nats.connect(**options)`` as ``user``: its URL and its own reply inbox."""
        options = {"servers": self.url_for(user)}
        if user in SERVICE_USERS:
            options["inbox_prefix"] = inbox_prefix(user)
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
