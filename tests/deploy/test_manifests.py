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
        assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert {"requests", "limits"} <= set(container["resources"])
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]


def test_network_is_default_deny_and_only_vault_reaches_openbao() -> None:
    policies = {d["metadata"]["name"]: d for d in base_objects() if d["kind"] == "NetworkPolicy"}
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    openbao_from = policies["openbao"]["spec"]["ingress"][0]["from"]
    assert openbao_from == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "vault"}}}]
    postgres_from = policies["postgres"]["spec"]["ingress"][0]["from"]
    assert postgres_from == [
        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "gateway"}}}
    ]


def test_simulator_only_in_the_dev_overlay() -> None:
    names = {d["metadata"]["name"] for d in base_objects()}
    assert "bingx-sim" not in names
    dev = documents(K8S / "overlays" / "dev" / "bingx-sim.yaml")
    assert any(d["kind"] == "Deployment" and d["metadata"]["name"] == "bingx-sim" for d in dev)


def test_compose_runs_every_service_with_a_healthcheck() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for service in RUNNING_SERVICES:
        assert compose[service]["command"] == ["python", "-m", f"fleet.{service}"]
        assert "healthz" in str(compose[service]["healthcheck"]["test"])
    assert compose["bingx-sim"]["command"][:3] == ["python", "-m", "fleet.bingx_sim"]
    assert "-dev" not in str(compose["openbao"]["command"])  # persistent, never dev mode


def test_only_executor_may_request_signatures_everywhere() -> None:
    for config in (ROOT / "deploy" / "compose" / "nats.conf", K8S / "base" / "nats.yaml"):
        users = re.findall(r'\{ user: "(\w+)".*', config.read_text())
        lines = {
            u: line
            for u in users
            for line in config.read_text().splitlines()
            if f'user: "{u}"' in line
        }
        for user in ("auth", "vault", "strategy", "gateway"):
            assert "cmd.vault.sign" in lines[user] and "STREAM.DELETE" in lines[user], user
        assert "cmd.vault.sign" not in lines["executor"]


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
