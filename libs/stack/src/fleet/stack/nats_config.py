"""The one nats-server configuration Fleet runs everywhere: embedded, compose and Kubernetes.

Only the addresses differ between places (a :class:`NatsLayout`); the users, their
permissions, JetStream, the cluster block and lame-duck mode come from :func:`nats_config`.
``deploy/compose/nats.conf``, ``deploy/k8s/base/nats.conf``,
``deploy/k8s/overlays/dev/nats.conf`` and ``deploy/k8s/components/tls/nats.conf`` (prod:
TLS from cert-manager) are its output (``python -m fleet.stack.nats_config`` rewrites them;
``tests/deploy`` checks they are current).
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from fleet.stack.nkey_files import nkey_env
from fleet.stack.permissions import (
    ADMIN_USER,
    DEPLOYED_SCOPE,
    Permissions,
    Scope,
    permissions,
    table,
)

CLUSTER_NAME = "fleet"
# A node told to stop first leaves client traffic to the others (lame duck), then exits.
LAME_DUCK_DURATION = "30s"
LAME_DUCK_GRACE = "10s"


@dataclass(frozen=True)
class NatsTls:
    """TLS of a node (paths as the server sees them): its certificate and key for clients
    and routes, the CA it verifies peers with; ``verify_clients`` asks clients for a
    certificate too (mutual TLS)."""

    cert_file: str
    key_file: str
    ca_file: str
    verify_clients: bool = False

    def block(self, *, verify: bool, indent: str = "") -> list[str]:
        """``tls { ... }`` lines; routes always verify each other (``verify: true``)."""
        lines = [
            f"{indent}tls {{",
            f'{indent}  cert_file: "{self.cert_file}"',
            f'{indent}  key_file: "{self.key_file}"',
            f'{indent}  ca_file: "{self.ca_file}"',
        ]
        if verify:
            lines.append(f"{indent}  verify: true")
        return [*lines, f"{indent}  timeout: 5", f"{indent}}}"]


@dataclass(frozen=True)
class NatsLayout:
    """Where one node listens and keeps its files, and the routes to its peers."""

    host: str
    client_port: int
    monitor_port: int
    store_dir: str
    cluster_port: int | None = None
    routes: tuple[str, ...] = ()
    pid_file: str | None = None
    server_name: str = "$SERVER_NAME"  # from the environment: the pod's / service's name
    sync_always: bool = False
    tls: NatsTls | None = None  # None: plaintext (fleet up's default, on loopback)


def new_password() -> str:
    """A random password safe to substitute from the environment into nats.conf.

    nats-server parses a substituted value as a config token: one starting with a digit
    or a sign is read as a number and refused ("Expected a digit"), so deployed passwords
    are a letter followed by hex (deploy/compose/make-env.sh makes the same).
    """
    return "p" + secrets.token_hex(24)


def password_env(user: str) -> str:
    """The environment variable nats-server reads ``user``'s password from."""
    return f"NATS_{user.upper()}_PASSWORD"


def nats_config(
    layout: NatsLayout,
    passwords: Mapping[str, str] | None = None,
    scope: Scope = DEPLOYED_SCOPE,
    nkeys: Mapping[str, str] | None = None,
) -> str:
    """The nats.conf text for ``layout``: users and permissions from
    :mod:`fleet.stack.permissions` (under ``scope``: the event stream's name and prefix).

    The admin's password is literal when given (the embedded stack), else a reference to
    its :func:`password_env` variable. A service user is an NKEY, with no password: it
    proves itself by signing the server's nonce with its seed. Its public key is literal
    from ``nkeys`` (user -> ``U…``, the embedded stack), else a reference to its
    :func:`~fleet.stack.nkey_files.nkey_env` variable (compose and Kubernetes, set by
    ``fleet nats keys``: never a credential nor a key in the repository).
    A cluster block appears only with routes: one node with a cluster block of three
    routes would wait for a quorum that never comes.
    """
    name = layout.server_name
    lines = [
        f"server_name: {name}" if name.startswith("$") else f'server_name: "{name}"',
        f'listen: "{layout.host}:{layout.client_port}"',
        f'http: "{layout.host}:{layout.monitor_port}"',
    ]
    if layout.pid_file:
        lines.append(f'pid_file: "{layout.pid_file}"')
    lines += [f'lame_duck_duration: "{LAME_DUCK_DURATION}"']
    lines += [f'lame_duck_grace_period: "{LAME_DUCK_GRACE}"']
    sync = ', sync_interval: "always"' if layout.sync_always else ""
    lines.append(f'jetstream {{ store_dir: "{layout.store_dir}"{sync} }}')
    if layout.tls is not None:
        lines += layout.tls.block(verify=layout.tls.verify_clients)
    if layout.routes:
        lines += _cluster_block(layout)
    lines += _authorization_block(passwords, scope, nkeys)
    return "\n".join(lines) + "\n"


def _cluster_block(layout: NatsLayout) -> list[str]:
    routes = [f'    "{route}"' for route in layout.routes]
    return [
        "cluster {",
        f"  name: {CLUSTER_NAME}",
        f'  listen: "{layout.host}:{layout.cluster_port}"',
        "  no_advertise: true",
        *(layout.tls.block(verify=True, indent="  ") if layout.tls is not None else []),
        "  routes: [",
        *routes,
        "  ]",
        "}",
    ]


def _authorization_block(
    passwords: Mapping[str, str] | None, scope: Scope, nkeys: Mapping[str, str] | None
) -> list[str]:
    admin = json.dumps(passwords[ADMIN_USER]) if passwords else f"${password_env(ADMIN_USER)}"
    users = [f'{{ user: "{ADMIN_USER}", password: {admin} }}']
    for row in table():
        rendered = render_permissions(permissions(row, scope))
        key = json.dumps(nkeys[row.service]) if nkeys else f"${nkey_env(row.service)}"
        users.append(f"# {row.service}")
        users.append(f"{{ nkey: {key}, {rendered} }}")
    return ["authorization {", "  users = [", *(f"    {user}" for user in users), "  ]", "}"]


def render_permissions(granted: Permissions) -> str:
    """``permissions: {...}`` of one user, on one line (nats.conf syntax)."""

    def subjects(names: tuple[str, ...]) -> str:
        return "[" + ", ".join(json.dumps(name) for name in names) + "]"

    publish = f"allow: {subjects(granted.publish)}"
    if granted.deny_publish:
        publish += f", deny: {subjects(granted.deny_publish)}"
    subscribe = f"allow: {subjects(granted.subscribe)}"
    if granted.deny_subscribe:
        subscribe += f", deny: {subjects(granted.deny_subscribe)}"
    responses = ", allow_responses: true" if granted.allow_responses else ""
    return f"permissions: {{ publish: {{ {publish} }}, subscribe: {{ {subscribe} }}{responses} }}"


def statefulset_routes(
    replicas: int, *, name: str = "nats", service: str = "nats-headless"
) -> tuple[str, ...]:
    """Routes to every pod a StatefulSet of ``replicas`` creates (stable DNS names)."""
    return tuple(f"nats://{name}-{i}.{service}:6222" for i in range(replicas))


# cert-manager's Secret "nats-tls" (deploy/k8s/components/tls), mounted by the StatefulSet
KUBERNETES_TLS = NatsTls("/etc/nats-tls/tls.crt", "/etc/nats-tls/tls.key", "/etc/nats-tls/ca.crt")


def kubernetes_layout(replicas: int, *, tls: bool = False) -> NatsLayout:
    """The layout of the k8s StatefulSet (one ConfigMap for every pod); ``tls``: clients
    and routes over TLS with cert-manager's certificate (the prod overlay)."""
    return NatsLayout(
        host="0.0.0.0",
        client_port=4222,
        monitor_port=8222,
        cluster_port=6222 if replicas > 1 else None,
        routes=statefulset_routes(replicas) if replicas > 1 else (),
        store_dir="/data/jetstream",
        pid_file="/var/run/nats/nats.pid",
        tls=KUBERNETES_TLS if tls else None,
    )


def compose_layout(nodes: int = 3) -> NatsLayout:
    """The layout of docker-compose's nodes ``nats-1`` … ``nats-N`` (one file for all)."""
    return NatsLayout(
        host="0.0.0.0",
        client_port=4222,
        monitor_port=8222,
        cluster_port=6222,
        routes=tuple(f"nats://nats-{i}:6222" for i in range(1, nodes + 1)),
        store_dir="/data/jetstream",
        pid_file="/var/run/nats/nats.pid",
        # tls-init's certificate (docker-compose.yml): clients and routes over TLS
        tls=NatsTls("/etc/nats/tls/nats.crt", "/etc/nats/tls/nats.key", "/etc/nats/tls/ca.crt"),
    )


DEPLOYED: dict[str, NatsLayout] = {
    "deploy/compose/nats.conf": compose_layout(3),
    "deploy/k8s/base/nats.conf": kubernetes_layout(3),
    "deploy/k8s/overlays/dev/nats.conf": kubernetes_layout(1),
    "deploy/k8s/components/tls/nats.conf": kubernetes_layout(3, tls=True),
}


def write_deployed(root: Path, names: Sequence[str] = tuple(DEPLOYED)) -> None:
    """Rewrite the deployed config files under the repository ``root``."""
    header = "# Generated by `python -m fleet.stack.nats_config` (fleet.stack.nats_config).\n"
    for name in names:
        (root / name).write_text(header + nats_config(DEPLOYED[name]))


if __name__ == "__main__":
    write_deployed(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd())
