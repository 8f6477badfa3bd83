"""Every overlay as Kubernetes would receive it: rendered by ``kubectl kustomize``, valid
against the API schemas (strict), clean under checkov (but for the accepted findings in
deploy/checkov-accepted.yaml), and holding Fleet's invariants."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from fleet.stack.nats_config import DEPLOYED, kubernetes_layout, nats_config

from .rendered import OVERLAYS, ROOT, TOOLS, Rendered, checkov, render

pytestmark = pytest.mark.unit
ACCEPTED = yaml.safe_load((ROOT / "deploy" / "checkov-accepted.yaml").read_text())
# Custom resources: no schema in kubernetes-validate; their operators validate them.
CUSTOM_KINDS = {
    "ExternalSecret",
    "ServiceMonitor",
    "PrometheusRule",
    "Cluster",
    "Issuer",
    "Certificate",
}
# Secrets an operator creates next to what it runs (CloudNativePG: the app user's password).
OPERATOR_SECRETS = {"fleet-db-app"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "ClusterSecretStore"}
WORKLOADS = {"Deployment", "StatefulSet", "Job"}
# Pods that need the Kubernetes API (none today): their service-account token stays on.
TOKEN_NEEDED: set[str] = set()
# a full release number (PostgreSQL's has two parts: 17.6), never a moving major tag
EXACT_VERSION = re.compile(r"^[\w./-]+:v?\d+\.\d+(\.\d+)?(-[\w.]+)?(@sha256:[0-9a-f]{64})?$")


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return render(request.param, tmp_path_factory.getbasetemp())


def pods(rendered: Rendered) -> Iterator[tuple[str, dict[str, Any]]]:
    for workload in rendered.objects:
        if workload["kind"] in WORKLOADS:
            name = f"{workload['kind']}/{workload['metadata']['name']}"
            yield name, workload["spec"]["template"]["spec"]


def containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def accepted(check: str, resource: str) -> bool:
    return any(
        entry["check"] == check and (entry["resources"] == "*" or resource in entry["resources"])
        for entry in ACCEPTED
    )


def test_validates_strictly_against_the_kubernetes_schemas(rendered: Rendered) -> None:
    answer = subprocess.run(
        [str(TOOLS / "kubernetes-validate"), "--strict", "--quiet", str(rendered.path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert answer.returncode == 0, answer.stdout + answer.stderr
    unchecked = set(re.findall(r"schema for kind (\w+)", answer.stdout + answer.stderr))
    assert unchecked <= CUSTOM_KINDS, unchecked


def test_checkov_finds_nothing_but_the_accepted(rendered: Rendered) -> None:
    report = checkov(rendered.path)
    failed = report["results"]["failed_checks"]
    summary = report["summary"]
    print(f"\n{rendered.overlay}: checkov passed {summary['passed']}, failed {summary['failed']}")
    unexpected = sorted(
        f"{f['check_id']} {f['resource']}: {f['check_name']}"
        for f in failed
        if not accepted(f["check_id"], f["resource"])
    )
    assert unexpected == []


def test_every_accepted_checkov_finding_still_occurs(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    base = tmp_path_factory.getbasetemp()
    found = {
        (f["check_id"], f["resource"])
        for overlay in OVERLAYS
        for f in checkov(render(overlay, base).path)["results"]["failed_checks"]
    }
    for entry in ACCEPTED:
        assert entry["reason"].strip(), entry
        resources = entry["resources"]
        if resources == "*":
            assert any(check == entry["check"] for check, _ in found), entry
        else:
            assert {(entry["check"], r) for r in resources} <= found, entry


def test_every_container_is_probed_limited_non_root_and_read_only(rendered: Rendered) -> None:
    for name, pod in pods(rendered):
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for container in containers(pod):
            where = f"{rendered.overlay} {name} {container['name']}"
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), where
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
        if name.startswith("Job/"):
            continue  # runs to completion: nothing to probe
        for container in pod["containers"]:
            probes = {"startupProbe", "readinessProbe", "livenessProbe"}
            assert probes <= set(container), f"{name} {container['name']}"


def test_service_account_tokens_are_off_unless_needed(rendered: Rendered) -> None:
    for name, pod in pods(rendered):
        assert pod.get("serviceAccountName", "default") != "default", name
        if name not in TOKEN_NEEDED:
            assert pod.get("automountServiceAccountToken") is False, name


def test_every_namespaced_object_has_the_namespace(rendered: Rendered) -> None:
    for obj in rendered.objects:
        if obj["kind"] not in CLUSTER_SCOPED:
            assert obj["metadata"].get("namespace") == "fleet", obj["metadata"]["name"]


def test_every_image_is_pinned_to_an_exact_version(rendered: Rendered) -> None:
    for name, pod in pods(rendered):
        for container in containers(pod):
            assert EXACT_VERSION.match(container["image"]), f"{name}: {container['image']}"


def test_every_deployment_has_a_disruption_budget(rendered: Rendered) -> None:
    pdbs = rendered.of_kind("PodDisruptionBudget")
    budgets = [b["spec"]["selector"]["matchLabels"] for b in pdbs]
    for workload in rendered.of_kind("Deployment") + rendered.of_kind("StatefulSet"):
        labels = workload["spec"]["template"]["metadata"]["labels"]
        covering = [b for b in budgets if b.items() <= labels.items()]
        assert len(covering) == 1, workload["metadata"]["name"]


def test_no_secret_value_only_external_secret_references(rendered: Rendered) -> None:
    assert rendered.of_kind("Secret") == []
    synced = {e["spec"]["target"]["name"] for e in rendered.of_kind("ExternalSecret")}
    # and cert-manager's: the Secrets its Certificates issue (keys made in the cluster)
    synced |= {c["spec"]["secretName"] for c in rendered.of_kind("Certificate")}
    text = rendered.path.read_text()
    referenced = set(re.findall(r"secretKeyRef: \{?\s*(?:key: [\w-]+,\s*)?name: ([\w-]+)", text))
    referenced |= set(re.findall(r"secretName: ([\w-]+)", text)) - {"gateway-tls"}
    assert referenced and referenced <= synced | OPERATOR_SECRETS, referenced - synced


def test_gateway_edge_autoscaled_and_served_over_tls(rendered: Rendered) -> None:
    hpa = rendered.named("HorizontalPodAutoscaler", "gateway")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "gateway"
    ingress = rendered.named("Ingress", "gateway")
    assert "cert-manager.io/cluster-issuer" in ingress["metadata"]["annotations"]
    assert ingress["spec"]["tls"][0]["hosts"] == [ingress["spec"]["rules"][0]["host"]]


def test_nats_statefulset_can_form_its_cluster(rendered: Rendered) -> None:
    nats = rendered.named("StatefulSet", "nats")
    assert nats["spec"]["podManagementPolicy"] == "Parallel"
    headless = rendered.named("Service", nats["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["publishNotReadyAddresses"] is True
    server = nats["spec"]["template"]["spec"]["containers"][0]
    assert server["startupProbe"]["httpGet"]["path"] == "/healthz?js-enabled-only=true"
    assert "ldm=/var/run/nats/nats.pid" in server["lifecycle"]["preStop"]["exec"]["command"][-1]
    configs = rendered.of_kind("ConfigMap")
    config = next(c for c in configs if c["metadata"]["name"].startswith("nats-config"))
    tls = bool(rendered.of_kind("Certificate"))  # the prod overlays (components/tls)
    expected = nats_config(kubernetes_layout(nats["spec"]["replicas"], tls=tls))
    assert config["data"]["nats.conf"].split("\n", 1)[1] == expected


def test_openbao_is_a_raft_cluster_behind_a_headless_service(rendered: Rendered) -> None:
    openbao = rendered.named("StatefulSet", "openbao")
    assert openbao["spec"]["replicas"] == 3
    headless = rendered.named("Service", openbao["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None" and headless["spec"]["publishNotReadyAddresses"]
    hcl = rendered.named("ConfigMap", "openbao-config")["data"]["openbao.hcl"]
    assert hcl.count("retry_join") == 3


def test_alerts_cover_what_an_sre_must_act_on(rendered: Rendered) -> None:
    rules = rendered.named("PrometheusRule", "fleet")["spec"]["groups"]
    alerts = {r["alert"] for group in rules for r in group["rules"]}
    assert alerts == {
        "FleetNoSignal",
        "FleetExecutorPartitionsUnowned",
        "FleetProjectionLag",
        "FleetBingxRateLimited",
        "FleetVaultSignFailures",
        "FleetNatsStreamNearLimits",
    }
    dashboards = rendered.named("ConfigMap", "fleet-dashboards")
    assert dashboards["metadata"]["labels"]["grafana_dashboard"] == "1"


def test_deployed_nats_configs_are_the_generators_output() -> None:
    for name, layout in DEPLOYED.items():
        text = (ROOT / name).read_text()
        stale = f"{name}: run python -m fleet.stack.nats_config"
        assert text.split("\n", 1)[1] == nats_config(layout), stale


def test_compose_file_follows_the_compose_specification() -> None:
    answer = subprocess.run(
        [
            str(TOOLS / "check-jsonschema"),
            *("--builtin-schema", "vendor.compose-spec", str(ROOT / "docker-compose.yml")),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert answer.returncode == 0, answer.stdout + answer.stderr


# Alert metrics no code exports yet, each with the owner that must add it.
AWAITED_METRICS = {
    "fleet_read_model_lag_events": "gateway read models (lag per read model, in events)",
    "fleet_bingx_refusals_total": "fleet.bingx client (refusals by BingX error code)",
}
EXPORTER_METRICS = ("jetstream_",)  # prometheus-nats-exporter sidecar
PROMQL_WORDS = {"or", "and", "unless"}


def test_every_alert_reads_a_metric_the_code_exports_or_one_awaited() -> None:
    monitoring = (ROOT / "deploy" / "k8s" / "base" / "monitoring.yaml").read_text()
    rule = next(d for d in yaml.safe_load_all(monitoring) if d["kind"] == "PrometheusRule")
    expressions = " ".join(r["expr"] for g in rule["spec"]["groups"] for r in g["rules"])
    # drop label matchers and groupings, durations; a name before "(" is a function
    bare = re.sub(r"\{[^}]*\}|by \([^)]*\)|\[\w+\]", " ", expressions)
    metrics = set(re.findall(r"\b([a-z][a-z_]*)\b(?!\s*\()", bare)) - PROMQL_WORDS
    sources = [*ROOT.glob("services/*/src/**/*.py"), *ROOT.glob("libs/*/src/**/*.py")]
    code = " ".join(path.read_text() for path in sources)
    for metric in sorted(metrics):
        name = re.sub(r"_(count|sum|bucket)$", "", metric)
        exported = f'"{name}"' in code or name.startswith(EXPORTER_METRICS)
        assert exported != (name in AWAITED_METRICS), metric
    print(f"\nalert metrics awaited from the code: {sorted(AWAITED_METRICS)}")


def test_each_service_mounts_its_own_nats_seed_and_nats_only_public_keys(
    rendered: Rendered,
) -> None:
    """NKEYs in Kubernetes: a service's pod mounts the Secret of its own seed (synced by
    External Secrets) and no other, has no NATS password; nats-server's environment holds
    the public keys and only the admin's password."""
    services = ("auth", "vault", "strategy", "executor", "gateway", "notify")
    synced = {e["spec"]["target"]["name"]: e for e in rendered.of_kind("ExternalSecret")}
    for service in services:
        pod = rendered.named("Deployment", service)["spec"]["template"]["spec"]
        seeds = [
            v["secret"]["secretName"]
            for v in pod["volumes"]
            if v.get("secret", {}).get("secretName", "").startswith("fleet-nats-nkey-")
        ]
        assert seeds == [f"fleet-nats-nkey-{service}"], service
        remote = synced[seeds[0]]["spec"]["data"][0]["remoteRef"]
        assert remote == {"key": f"fleet/nats-nkey-{service}", "property": "seed"}
        container = pod["containers"][0]
        env = {e["name"]: e for e in container["env"]}
        assert env["FLEET_NATS_URL"]["value"] == "nats://nats:4222"
        assert env["FLEET_NATS_NKEY_SEED_FILE"]["value"] == "/run/secrets/nats/seed"
        assert "nats-users" not in str(container), service
        mounts = {m["name"]: m for m in container["volumeMounts"]}
        assert mounts["nats-nkey"] == {
            "name": "nats-nkey",
            "mountPath": "/run/secrets/nats",
            "readOnly": True,
        }
        assert pod["securityContext"]["fsGroup"] == pod["securityContext"]["runAsGroup"]
    nats = rendered.named("StatefulSet", "nats")["spec"]["template"]["spec"]["containers"][0]
    env = {
        e["name"]: e["valueFrom"]["secretKeyRef"]
        for e in nats["env"]
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    assert {name for name in env if name.endswith("_PASSWORD")} == {"NATS_ADMIN_PASSWORD"}
    for service in services:
        assert env[f"NATS_{service.upper()}_NKEY"] == {
            "name": "fleet-nats-public-keys",
            "key": service,
        }
    public = synced["fleet-nats-public-keys"]["spec"]["data"]
    assert {d["remoteRef"]["property"] for d in public} == {"public"}


FLEET_SERVICES = ("auth", "vault", "strategy", "executor", "gateway", "notify")
TLS_OVERLAYS = [o for o in OVERLAYS if o.startswith("prod")]


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


def _mounted_ca(pod: dict[str, Any], container: dict[str, Any], path: str) -> bool:
    """``path`` is a read-only mount of a volume projecting a Secret's ca.crt (only it)."""
    directory, _, name = path.rpartition("/")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        if mount["mountPath"] == directory and mount.get("readOnly"):
            secret = volumes[mount["name"]].get("secret", {})
            return bool(secret.get("items") == [{"key": "ca.crt", "path": name}])
    return False


@pytest.mark.parametrize("overlay", TLS_OVERLAYS)
def test_production_speaks_tls_to_nats_and_openbao(
    overlay: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """In every prod overlay: no ``tls_disable``; OpenBao serves its API and raft joins
    over TLS with https probes; nats.conf has TLS for clients and routes from cert-manager's
    Secret; every Fleet container that talks to NATS or OpenBao verifies it with the CA
    (mounted read-only, only ca.crt) over https; every Certificate's issuer exists."""
    rendered = render(overlay, tmp_path_factory.mktemp(f"tls-{overlay}"))
    assert "tls_disable" not in rendered.path.read_text()
    hcl = rendered.named("ConfigMap", "openbao-config")["data"]["openbao.hcl"]
    assert "tls_cert_file" in hcl and "tls_key_file" in hcl
    joins = re.findall(r'leader_api_addr\s*=\s*"([^"]+)"', hcl)
    assert len(joins) == 3 and all(j.startswith("https://") for j in joins), joins
    assert hcl.count("leader_ca_cert_file") == hcl.count("leader_tls_servername") == 3

    openbao = rendered.named("StatefulSet", "openbao")["spec"]["template"]["spec"]
    bao = openbao["containers"][0]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert bao[probe]["httpGet"]["scheme"] == "HTTPS", probe
    assert _env(bao)["BAO_API_ADDR"].startswith("https://")
    secrets = {v["name"]: v.get("secret", {}).get("secretName") for v in openbao["volumes"]}
    assert "openbao-tls" in secrets.values()

    nats = rendered.named("StatefulSet", "nats")["spec"]["template"]["spec"]
    mounts = {m["mountPath"]: m["name"] for m in nats["containers"][0]["volumeMounts"]}
    tls_volume = mounts["/etc/nats-tls"]
    assert {v["name"]: v for v in nats["volumes"]}[tls_volume]["secret"]["secretName"] == (
        "nats-tls"
    )
    config = next(
        c for c in rendered.of_kind("ConfigMap") if c["metadata"]["name"].startswith("nats-config")
    )["data"]["nats.conf"]
    assert config.count('cert_file: "/etc/nats-tls/tls.crt"') == 2  # clients and routes

    checked = 0
    for kind in ("Deployment", "Job"):
        for workload in rendered.of_kind(kind):
            pod = workload["spec"]["template"]["spec"]
            for container in [*pod.get("initContainers", []), *pod["containers"]]:
                env = _env(container)
                where = f"{overlay} {kind}/{workload['metadata']['name']}/{container['name']}"
                if "FLEET_NATS_URL" in env or "FLEET_NATS_NKEY_SEED_FILE" in env:
                    assert _mounted_ca(pod, container, env.get("FLEET_NATS_CA_FILE", "")), where
                    checked += 1
                if env.get("FLEET_DATABASE_URL"):  # a literal one (else External Secrets')
                    query = env["FLEET_DATABASE_URL"].partition("?")[2]
                    assert "sslmode=verify-full" in query.split("&"), where
                    root = re.search(r"sslrootcert=([^&]+)", query)
                    assert root and _mounted_ca(pod, container, root[1]), where
                if "FLEET_VAULT_ADDR" in env:
                    assert env["FLEET_VAULT_ADDR"].startswith("https://"), where
                    assert _mounted_ca(pod, container, env.get("FLEET_VAULT_CA_FILE", "")), where
                    checked += 1
    assert checked >= len(FLEET_SERVICES) + 2  # + vault's secret-id and stream-init

    issuers = {i["metadata"]["name"] for i in rendered.of_kind("Issuer")}
    certificates = rendered.of_kind("Certificate")
    assert {c["spec"]["secretName"] for c in certificates} >= {
        "fleet-ca",
        "nats-tls",
        "openbao-tls",
    }
    for certificate in certificates:
        ref = certificate["spec"]["issuerRef"]
        assert ref["kind"] == "Issuer" and ref["name"] in issuers, certificate["metadata"]["name"]
    ca_issuers = [i for i in rendered.of_kind("Issuer") if "ca" in i["spec"]]
    ca_secrets = {c["spec"]["secretName"] for c in certificates if c["spec"].get("isCA")}
    assert ca_issuers and all(i["spec"]["ca"]["secretName"] in ca_secrets for i in ca_issuers)
    # Fleet's pods never mount the CA's key: no volume of theirs is the CA Secret
    for service in FLEET_SERVICES:
        pod = rendered.named("Deployment", service)["spec"]["template"]["spec"]
        used = {v.get("secret", {}).get("secretName") for v in pod["volumes"]}
        assert not used & ca_secrets, service


def test_nats_certificate_names_every_route_and_the_client_service() -> None:
    """The routes in the TLS nats.conf dial names the certificate carries (verified)."""
    text = (ROOT / "deploy" / "k8s" / "components" / "tls" / "certificates.yaml").read_text()
    certs = {
        d["metadata"]["name"]: d for d in yaml.safe_load_all(text) if d["kind"] == "Certificate"
    }
    names = set(certs["nats"]["spec"]["dnsNames"])
    layout = kubernetes_layout(3, tls=True)
    routes = {r.removeprefix("nats://").rsplit(":", 1)[0] for r in layout.routes}
    assert routes and routes <= names
    assert {"nats", "nats-headless"} <= names
    bao = set(certs["openbao"]["spec"]["dnsNames"])
    hcl = (ROOT / "deploy" / "k8s" / "components" / "tls" / "kustomization.yaml").read_text()
    servernames = set(re.findall(r'leader_tls_servername = "([^"]+)"', hcl))
    assert len(servernames) == 3 and servernames | {"openbao"} <= bao
