"""The container and Kubernetes deliverables stay consistent with the code (no Docker or
cluster here: these checks parse and cross-check the files)."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").exists())
RUNNING_SERVICES = [s for s in SERVICES if s != "bingx_sim"]


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def base_objects() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text())
    return [doc for name in kustomization["resources"] for doc in documents(K8S / "base" / name)]


def test_every_kustomization_resource_exists() -> None:
    for kustomization in K8S.rglob("kustomization.yaml"):
        for resource in yaml.safe_load(kustomization.read_text()).get("resources", []):
            assert (kustomization.parent / resource).exists(), f"{kustomization}: {resource}"


def test_every_service_has_a_hardened_probed_deployment() -> None:
    deployments = {d["metadata"]["name"]: d for d in base_objects() if d["kind"] == "Deployment"}
    assert sorted(deployments) == RUNNING_SERVICES
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert container["command"] == ["python", "-m", f"fleet.{name}"]
        # liveness asks only the event loop; readiness and startup ask the dependencies
        assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["startupProbe"]["httpGet"]["path"] == "/readyz"
        assert {"requests", "limits"} <= set(container["resources"])
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]


def test_network_is_default_deny_and_only_vault_reaches_openbao() -> None:
    policies = {d["metadata"]["name"]: d for d in base_objects() if d["kind"] == "NetworkPolicy"}
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    openbao_from = [rule["from"] for rule in policies["openbao"]["spec"]["ingress"]]
    assert openbao_from == [
        [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "vault"}}}],
        [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "openbao"}}}],  # raft peers
    ]
    in_cluster = documents(K8S / "components" / "postgres-in-cluster" / "postgres.yaml")
    postgres = next(d for d in in_cluster if d["kind"] == "NetworkPolicy")
    postgres_from = postgres["spec"]["ingress"][0]["from"]
    assert postgres_from == [
        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "gateway"}}}
    ]


def test_simulator_only_in_the_dev_overlay() -> None:
    names = {d["metadata"]["name"] for d in base_objects()}
    assert "bingx-sim" not in names
    dev = documents(K8S / "overlays" / "dev" / "bingx-sim.yaml")
    assert any(d["kind"] == "Deployment" and d["metadata"]["name"] == "bingx-sim" for d in dev)


def compose_services() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    return services


def test_compose_runs_every_service_healthy_restarted_with_its_own_nats_user() -> None:
    compose = compose_services()
    for service in RUNNING_SERVICES:
        spec = compose[service]
        assert spec["command"] == ["python", "-m", f"fleet.{service}"]
        assert "/readyz" in str(spec["healthcheck"]["test"]), service
        assert spec["restart"] == "unless-stopped", service
        # no credential in the URL: its own NKEY seed, mounted from .nkeys
        assert spec["environment"]["FLEET_NATS_URL"] == "nats://nats:4222", service
        assert spec["environment"]["FLEET_NATS_NKEY_SEED_FILE"] == "/run/secrets/nats-nkey"
    for name, spec in compose.items():
        assert spec.get("restart") in ("unless-stopped", "on-failure"), name
        assert "healthcheck" in spec or name.endswith("-init"), name
    assert compose["bingx-sim"]["command"][:3] == ["python", "-m", "fleet.bingx_sim"]
    assert compose["bingx-sim"]["profiles"] == ["paper"]
    assert "-dev" not in str(compose["openbao"]["command"])  # persistent, never dev mode


def test_compose_mounts_each_service_its_own_nats_seed_and_nats_only_public_keys() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    secrets = compose["secrets"]
    mounted: dict[str, list[str]] = {
        name: [m if isinstance(m, str) else m["source"] for m in spec.get("secrets", [])]
        for name, spec in compose["services"].items()
    }
    for service in RUNNING_SERVICES:
        source = f"nats-nkey-{service}"
        assert secrets[source] == {"file": f"./.nkeys/{service}.nk"}
        holders = [name for name, sources in mounted.items() if source in sources]
        assert holders == [service], source
        env = compose["services"][service]["environment"]
        assert not any("PASSWORD" in str(value) for value in env.values() if "NATS" in str(value))
    for name, spec in compose["services"].items():
        if name.startswith("nats-"):
            env = spec["environment"]
            keys = {k for k in env if k.endswith("_NKEY")}
            assert keys == {f"NATS_{s.upper()}_NKEY" for s in RUNNING_SERVICES}, name
            assert [k for k in env if k.endswith("_PASSWORD")] == ["NATS_ADMIN_PASSWORD"]
    assert ".nkeys/" in (ROOT / ".gitignore").read_text().splitlines()


def test_compose_nats_is_a_three_node_cluster_probed_by_an_image_that_can() -> None:
    nodes = {name: spec for name, spec in compose_services().items() if name.startswith("nats-")}
    assert sorted(nodes) == ["nats-1", "nats-2", "nats-3"]
    for name, spec in nodes.items():
        assert spec["image"].endswith("-alpine")  # the scratch image has no wget
        assert spec["environment"]["SERVER_NAME"] == name
        assert "healthz" in str(spec["healthcheck"]["test"])
    stream_init = compose_services()["stream-init"]
    assert stream_init["environment"]["FLEET_STREAM_REPLICAS"] == "3"
    assert set(stream_init["depends_on"]) == set(nodes)


def test_only_openbao_init_sees_the_root_token_and_vault_only_its_approle() -> None:
    compose = compose_services()
    mounts = {
        name: [str(v).split(":")[0] for v in s.get("volumes", [])] for name, s in compose.items()
    }
    assert [name for name, volumes in mounts.items() if "openbao-operator" in volumes] == [
        "openbao-init"
    ]
    assert mounts["vault"] == ["vault-credentials", "tls"]  # tls: the CA, read-only
    init_env = compose["openbao-init"]["environment"]
    vault_env = compose["vault"]["environment"]
    assert init_env["FLEET_OPENBAO_KEYS"].startswith("/run/fleet/operator/")
    # the vault service logs in with AppRole: the role id and the secret id init minted
    assert init_env["FLEET_VAULT_SECRET_ID_FILE"] == vault_env["FLEET_VAULT_SECRET_ID_FILE"]
    assert vault_env["FLEET_VAULT_SECRET_ID_FILE"].startswith("/run/fleet/vault/")
    assert init_env["FLEET_VAULT_ROLE_ID"] == vault_env["FLEET_VAULT_ROLE_ID"]
    assert not {k for k in vault_env if "TOKEN" in k}, "the vault service holds no token"


def test_only_executor_may_request_signatures_everywhere() -> None:
    """Allow-lists (fleet.stack.permissions): cmd.vault.sign is in the executor's publish
    list and the vault's subscribe list only; no service may publish everything or
    administer a stream."""
    configs = [ROOT / "deploy" / "compose" / "nats.conf", *K8S.rglob("nats.conf")]
    for config in configs:
        # a service user: "# <service>", then "{ nkey: $NATS_<SERVICE>_NKEY, permissions }"
        text = config.read_text()
        lines = dict(re.findall(r"# (\w+)\n\s*(\{ nkey: .*)", text))
        assert "password:" not in "".join(lines.values())
        for user in ("auth", "vault", "strategy", "executor", "gateway", "notify"):
            assert lines[user].startswith(f"{{ nkey: $NATS_{user.upper()}_NKEY,"), user
            publish = lines[user].split("publish: {", 1)[1].split("subscribe: {", 1)[0]
            subscribe = lines[user].split("subscribe: {", 1)[1]
            assert ('"cmd.vault.sign"' in publish) == (user == "executor"), user
            assert ('"cmd.vault.sign"' in subscribe) == (user == "vault"), user
            assert '">"' not in lines[user] and "STREAM.DELETE" not in lines[user], user


SECRET_VALUE = re.compile(
    r"(password|token|secret)\s*[:=]\s*[\"']?(?!\$|\{|\$\{)[A-Za-z0-9+/_-]{12,}", re.I
)


def test_no_secret_value_is_committed_in_deploy_files() -> None:
    files = [
        ROOT / "docker-compose.yml",
        *(ROOT / "deploy").rglob("*.yaml"),
        *(ROOT / "deploy").rglob("*.conf"),
        *(ROOT / "deploy").rglob("*.hcl"),
    ]
    for path in files:
        for line in path.read_text().splitlines():
            assert not SECRET_VALUE.search(line), f"{path}: {line.strip()}"


def test_compose_speaks_tls_to_nats_openbao_and_postgres() -> None:
    """tls-init makes the certificates; the servers serve only TLS and every client
    verifies them (verify-full) against the CA, which it mounts read-only."""
    compose = compose_services()
    assert (ROOT / "deploy" / "compose" / "nats.conf").read_text().count("tls {") == 2
    bao = (ROOT / "deploy" / "compose" / "openbao.hcl").read_text()
    assert "tls_disable" not in bao and "tls_cert_file" in bao
    hba = (ROOT / "deploy" / "compose" / "pg_hba.conf").read_text().splitlines()
    rules = [line.split()[0] for line in hba if line.strip() and not line.startswith("#")]
    assert set(rules) == {"local", "hostssl"}
    assert "ssl=on" in compose["postgres"]["command"]
    for name, service in compose.items():
        env = service.get("environment", {})
        if "FLEET_DATABASE_URL" in env:
            assert (
                "sslmode=verify-full&sslrootcert=/run/fleet/tls/ca.crt" in env["FLEET_DATABASE_URL"]
            ), name
        if "FLEET_VAULT_ADDR" in env:
            assert env["FLEET_VAULT_ADDR"].startswith("https://"), name
            assert env["FLEET_VAULT_CA_FILE"] == "/run/fleet/tls/ca.crt", name
        if "FLEET_NATS_URL" in env:
            assert env["FLEET_NATS_CA_FILE"] == "/run/fleet/tls/ca.crt", name
            assert "tls:/run/fleet/tls:ro" in service["volumes"], name
