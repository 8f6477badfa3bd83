"""A NATS JetStream cluster of N nats-server processes on loopback, from the deployed config.

Each node runs :func:`fleet.stack.nats_config.nats_config` — the text the StatefulSet's
ConfigMap holds — with loopback addresses instead of pod DNS names, the server names a
StatefulSet gives its pods (``nats-0`` …), and the admin's password and the services'
public NKEYs from the environment, as in a pod (seeds under ``<data_dir>/nkeys``).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleet.stack.nats_config import (
    NatsLayout,
    nats_config,
    new_password,
    password_env,
)
from fleet.stack.nkey_files import ensure_seeds, nkey_env, public_key
from fleet.stack.permissions import DEPLOYED_SCOPE, SERVICE_USERS, Scope, inbox_prefix
from fleet.stack.process import ManagedProcess, bin_dir, free_port


@dataclass
class ClusterNode:
    """One member: its name, layout and process."""

    name: str
    layout: NatsLayout
    process: ManagedProcess

    @property
    def client_url(self) -> str:
        """Address without credentials."""
        return f"nats://127.0.0.1:{self.layout.client_port}"

    def healthz(self, query: str = "") -> int:
        """The HTTP status of the node's ``/healthz`` (0 when it does not answer)."""
        url = f"http://127.0.0.1:{self.layout.monitor_port}/healthz{query}"
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return 0

    def jsz(self) -> dict[str, object]:
        """The node's ``/jsz`` monitoring document."""
        url = f"http://127.0.0.1:{self.layout.monitor_port}/jsz"
        with urllib.request.urlopen(url, timeout=2) as answer:
            return dict(json.loads(answer.read()))


class NatsCluster:
    """``size`` nodes, one JetStream cluster, data under ``data_dir``."""

    def __init__(self, data_dir: Path, size: int = 3, scope: Scope = DEPLOYED_SCOPE) -> None:
        self.data_dir = data_dir
        self.scope = scope  # Scope.any() for tests that run a stream of their own
        self.passwords = {"admin": new_password()}
        self.seed_files = ensure_seeds(data_dir / "nkeys", SERVICE_USERS)
        ports = [(free_port(), free_port(), free_port()) for _ in range(size)]
        routes = tuple(f"nats://127.0.0.1:{cluster}" for _, _, cluster in ports)
        self.nodes = [
            self._node(i, client, monitor, cluster, routes if size > 1 else ())
            for i, (client, monitor, cluster) in enumerate(ports)
        ]

    def _node(
        self, index: int, client: int, monitor: int, cluster: int, routes: tuple[str, ...]
    ) -> ClusterNode:
        name = f"nats-{index}"
        home = self.data_dir / name
        layout = NatsLayout(
            host="127.0.0.1",
            client_port=client,
            monitor_port=monitor,
            cluster_port=cluster if routes else None,
            routes=routes,
            store_dir=str(home / "jetstream"),
            pid_file=str(home / "nats.pid"),
        )
        home.mkdir(parents=True, exist_ok=True)
        config = home / "nats.conf"
        config.write_text(nats_config(layout, scope=self.scope))
        env = {**os.environ, "SERVER_NAME": name}
        env |= {password_env(user): password for user, password in self.passwords.items()}
        env |= {nkey_env(user): public_key(path) for user, path in self.seed_files.items()}
        argv = [str(bin_dir() / "nats-server"), "-c", str(config)]
        return ClusterNode(name, layout, ManagedProcess(name, argv, home / "nats.log", env=env))

    def urls_for(self, user: str) -> list[str]:
        """Every node's connection URL: with the admin's password; a service's carries no
        credential (its seed file does: :meth:`env_for`, :meth:`connect_options`)."""
        if user in self.seed_files:
            return [node.client_url for node in self.nodes]
        password = self.passwords[user]
        return [
            f"nats://{user}:{password}@127.0.0.1:{node.layout.client_port}" for node in self.nodes
        ]

    def env_for(self, user: str) -> dict[str, str]:
        """The environment a service process connects to every node as ``user`` with."""
        env = {"FLEET_NATS_URL": ",".join(self.urls_for(user))}
        if user in self.seed_files:
            env["FLEET_NATS_NKEY_SEED_FILE"] = str(self.seed_files[user])
        return env

    def connect_options(self, user: str) -> dict[str, Any]:
        """``nats.connect(**options)`` as ``user``: every node, its seed and its own inbox."""
        options: dict[str, Any] = {"servers": self.urls_for(user)}
        if user in self.seed_files:
            options["inbox_prefix"] = inbox_prefix(user)
            options["nkeys_seed"] = str(self.seed_files[user])
        return options

    def start(self, timeout: float = 60.0) -> None:
        """Start every node at once (like ``podManagementPolicy: Parallel``), wait for health."""
        for node in self.nodes:
            node.process.start()
        for node in self.nodes:
            self.wait_healthy(node, timeout)
        if len(self.nodes) > 1:  # a single node runs JetStream without a meta group
            self.nodes[0].process.wait_until(self._has_meta_leader, timeout)

    def _has_meta_leader(self) -> bool:
        try:
            self.meta_leader()
        except (RuntimeError, OSError):
            return False
        return True

    def wait_healthy(self, node: ClusterNode, timeout: float = 60.0) -> None:
        """Wait until ``node``'s ``/healthz`` answers 200 (JetStream current, meta leader)."""
        node.process.wait_until(lambda: node.healthz() == 200, timeout)

    def meta_leader(self) -> ClusterNode:
        """The node currently leading the JetStream meta group."""
        for node in self.nodes:
            if node.process.pid is None:
                continue
            meta = node.jsz().get("meta_cluster")
            leader = meta.get("leader") if isinstance(meta, dict) else None
            for candidate in self.nodes:
                if candidate.name == leader:
                    return candidate
        raise RuntimeError("no JetStream meta leader")

    def stop(self) -> None:
        """Stop every node."""
        for node in self.nodes:
            node.process.stop()
