"""The Kubernetes manifests give Vault access to the vault pod only, by AppRole with a
one-use secret id, under exactly the policies the code writes (files parsed, no cluster)."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet.stack.openbao import SECRET_ID_ISSUER_HCL, VAULT_POLICY_HCL

pytestmark = pytest.mark.unit
BASE = Path(__file__).resolve().parents[3] / "deploy" / "k8s" / "base"


def objects(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((BASE / name).read_text()) if d]


def pod(deployment: str) -> dict[str, Any]:
    found = [d for d in objects(f"{deployment}.yaml") if d["kind"] == "Deployment"]
    spec: dict[str, Any] = found[0]["spec"]["template"]["spec"]
    return spec


def env_names(container: dict[str, Any]) -> set[str]:
    return {e["name"] for e in container.get("env", [])}


def test_openbao_policies_are_the_ones_the_code_writes() -> None:
    config = next(d for d in objects("openbao.yaml") if d["kind"] == "ConfigMap")["data"]
    assert config["fleet-vault-policy.hcl"].strip() == VAULT_POLICY_HCL.strip()
    assert config["fleet-vault-secret-id-issuer-policy.hcl"].strip() == (
        SECRET_ID_ISSUER_HCL.strip()
    )


def test_vault_logs_in_by_approle_with_a_fresh_secret_id() -> None:
    spec = pod("vault")
    init, service = spec["initContainers"][0], spec["containers"][0]
    assert init["command"] == ["python", "-m", "fleet.stack.openbao_init", "secret-id"]
    assert {"FLEET_VAULT_ROLE_ID", "FLEET_VAULT_SECRET_ID_FILE"} <= env_names(service)
    assert not {"FLEET_VAULT_TOKEN", "FLEET_VAULT_TOKEN_FILE"} & env_names(service)
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["approle"]["emptyDir"]["medium"] == "Memory"
    mounted = {m["name"] for m in service["volumeMounts"]}
    assert "secret-id-issuer" not in mounted  # the issuer token stays in the init container
    assert "secret-id-issuer" in {m["name"] for m in init["volumeMounts"]}


@pytest.mark.parametrize("deployment", ["auth", "strategy", "executor", "gateway", "notify"])
def test_no_other_service_gets_anything_of_vault(deployment: str) -> None:
    spec = pod(deployment)
    for container in spec["containers"] + spec.get("initContainers", []):
        assert not [n for n in env_names(container) if "VAULT" in n], deployment
    secrets = [v for v in spec.get("volumes", []) if "secret" in v]
    assert not [v for v in secrets if "vault" in v["secret"]["secretName"]], deployment
    shared = next(d for d in objects("config.yaml") if d["kind"] == "ConfigMap")["data"]
    assert not [name for name in shared if "VAULT" in name]
