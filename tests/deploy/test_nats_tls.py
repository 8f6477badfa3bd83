"""Production's nats.conf (deploy/k8s/components/tls/nats.conf, as committed) runs on real
nats-server processes with certificates from fleet.stack.tls named like cert-manager's
(the StatefulSet's pod and Service names): three nodes form their JetStream cluster over
TLS routes, a client verifying the CA and the name ``nats`` talks to it, and plaintext
or a foreign CA is refused. Only addresses and file paths are rewritten for loopback."""

import asyncio
import os
import ssl
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import nats
import pytest
from nats.errors import Error as NatsError

from fleet.stack.nats_cluster import ClusterNode
from fleet.stack.nats_config import NatsLayout, new_password, password_env
from fleet.stack.nkey_files import ensure_seeds, nkey_env, public_key
from fleet.stack.permissions import SERVICE_USERS
from fleet.stack.process import ManagedProcess, bin_dir, free_port
from fleet.stack.tls import TlsFiles, issue

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
PROD_CONF = ROOT / "deploy" / "k8s" / "components" / "tls" / "nats.conf"
SIZE = 3
# the names in deploy/k8s/components/tls/certificates.yaml (Certificate "nats")
NAMES = ["nats-headless", *(f"nats-{i}.nats-headless" for i in range(SIZE))]


def loopback_config(
    text: str, tls: TlsFiles, home: Path, ports: list[tuple[int, int, int]], i: int
) -> str:
    client, monitor, cluster = ports[i]
    text = text.replace("/etc/nats-tls/tls.crt", str(tls.cert_file))
    text = text.replace("/etc/nats-tls/tls.key", str(tls.key_file))
    text = text.replace("/etc/nats-tls/ca.crt", str(tls.ca_file))
    text = text.replace('"0.0.0.0:4222"', f'"127.0.0.1:{client}"')
    text = text.replace('"0.0.0.0:8222"', f'"127.0.0.1:{monitor}"')
    text = text.replace('"0.0.0.0:6222"', f'"127.0.0.1:{cluster}"')
    text = text.replace("/data/jetstream", str(home / "jetstream"))
    text = text.replace("/var/run/nats/nats.pid", str(home / "nats.pid"))
    for j in range(SIZE):  # pod DNS names do not resolve here: the same node on loopback
        text = text.replace(
            f"nats://nats-{j}.nats-headless:6222", f"nats://127.0.0.1:{ports[j][2]}"
        )
    return text


@pytest.fixture
def tls_cluster(tmp_path: Path) -> Iterator[tuple[list[ClusterNode], TlsFiles, str]]:
    text = PROD_CONF.read_text()
    assert "tls {" in text and "verify: true" in text  # the TLS config, not the base one
    tls = issue(tmp_path / "tls", "nats", NAMES)
    admin = new_password()
    seeds = ensure_seeds(tmp_path / "nkeys", SERVICE_USERS)
    ports = [(free_port(), free_port(), free_port()) for _ in range(SIZE)]
    nodes = []
    for i in range(SIZE):
        name, home = f"nats-{i}", tmp_path / f"nats-{i}"
        home.mkdir()
        config = home / "nats.conf"
        config.write_text(loopback_config(text, tls, home, ports, i))
        env = {**os.environ, "SERVER_NAME": name, password_env("admin"): admin}
        env |= {nkey_env(user): public_key(path) for user, path in seeds.items()}
        argv = [str(bin_dir() / "nats-server"), "-c", str(config)]
        layout = NatsLayout("127.0.0.1", ports[i][0], ports[i][1], str(home), ports[i][2])
        process = ManagedProcess(name, argv, home / "nats.log", env=env)
        nodes.append(ClusterNode(name, layout, process))
    try:
        for node in nodes:
            node.process.start()
        for node in nodes:  # /healthz: JetStream current with a meta leader, over TLS routes
            node.process.wait_until(partial(healthy, node), 60.0)
        yield nodes, tls, admin
    finally:
        for node in nodes:
            node.process.stop()


def healthy(node: ClusterNode) -> bool:
    return node.healthz() == 200


def verifying(ca_file: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca_file))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


async def test_production_nats_conf_serves_tls_to_clients_and_routes(
    tls_cluster: tuple[list[ClusterNode], TlsFiles, str], tmp_path: Path
) -> None:
    nodes, tls, admin = tls_cluster
    urls = [f"nats://admin:{admin}@127.0.0.1:{n.layout.client_port}" for n in nodes]
    routes = nodes[0].jsz()["meta_cluster"]
    assert isinstance(routes, dict) and routes.get("cluster_size") == SIZE, routes

    # as a Fleet pod does: the CA, the host name of the Service (nats)
    first = await nats.connect(urls[0], tls=verifying(tls.ca_file), tls_hostname="nats")
    last = await nats.connect(urls[-1], tls=verifying(tls.ca_file), tls_hostname="nats")
    try:
        assert first.connected_url is not None and first.client_id is not None
        subscription = await last.subscribe("tls.check")
        await last.flush()
        await asyncio.sleep(0.5)  # the interest crosses the TLS route
        await first.publish("tls.check", b"over tls")
        message = await subscription.next_msg(timeout=5)
        assert message.data == b"over tls"  # node 0 -> route -> node 2
    finally:
        await first.close()
        await last.close()

    # a client trusting another CA, and one that never starts TLS, are refused
    foreign = issue(tmp_path / "other-ca", "nats", NAMES)
    with pytest.raises((ssl.SSLError, NatsError, OSError)):
        await nats.connect(
            urls[0],
            tls=verifying(foreign.ca_file),
            tls_hostname="nats",
            allow_reconnect=False,
            connect_timeout=3,
        )
    with pytest.raises((NatsError, OSError)):
        await nats.connect(urls[0], allow_reconnect=False, connect_timeout=3)
    reader, writer = await asyncio.open_connection("127.0.0.1", nodes[0].layout.client_port)
    info = await reader.readline()  # what a plaintext client is told before anything else
    writer.close()
    assert b'"tls_required":true' in info, info
