"""The permission table, its renderings (embedded, compose, Kubernetes) and its AsyncAPI."""

import re
from pathlib import Path

import yaml

from fleet.events.catalog import ALL_EVENTS
from fleet.stack import asyncapi
from fleet.stack.nats_config import DEPLOYED, NatsLayout, nats_config
from fleet.stack.permissions import (
    SERVICE_USERS,
    Scope,
    command_classes,
    permissions,
    row_of,
    table,
)

ROOT = Path(__file__).resolve().parents[3]
EMBEDDED = NatsLayout(host="127.0.0.1", client_port=4222, monitor_port=8222, store_dir="/x")


def _users(config: str) -> dict[str, str]:
    """Each user's permissions as rendered (the admin's password and the services' public
    keys, literal or from the environment, left out)."""
    block = config[config.index("authorization {") :]
    found = {}
    for match in re.finditer(r'\{ user: "(\w+)", password: [^,}]+(.*)$', block, re.M):
        found[match.group(1)] = match.group(2)
    for match in re.finditer(r"# (\w+)\n\s*\{ nkey: [^,]+(.*)$", block, re.M):
        found[match.group(1)] = match.group(2)
    return found


def test_embedded_compose_and_kubernetes_carry_the_same_permissions() -> None:
    passwords = {"admin": "pw-admin"}
    keys = {name: f"U{name.upper()}KEY" for name in SERVICE_USERS}
    embedded_text = nats_config(EMBEDDED, passwords, nkeys=keys)
    embedded = _users(embedded_text)
    assert set(embedded) == {"admin", *SERVICE_USERS}
    assert all(embedded[name].startswith(", permissions:") for name in SERVICE_USERS)
    for name in DEPLOYED:
        deployed = (ROOT / name).read_text()
        assert _users(deployed) == embedded, name
        assert "pw-" not in deployed and "$NATS_ADMIN_PASSWORD" in deployed
        # every service user is its public key from the environment, none has a password
        for service in SERVICE_USERS:
            assert f"{{ nkey: $NATS_{service.upper()}_NKEY, permissions:" in deployed, service
        assert deployed.count("password:") == 1, name
    for service in SERVICE_USERS:
        assert f'{{ nkey: "U{service.upper()}KEY", permissions:' in embedded_text
    assert embedded_text.count("password:") == 1


def test_the_deployed_files_are_current() -> None:
    for name, layout in DEPLOYED.items():
        assert (ROOT / name).read_text().endswith(nats_config(layout)), (
            f"{name} is stale: run python -m fleet.stack.nats_config"
        )


def test_each_aggregate_type_has_one_writer_and_every_entry_a_reason() -> None:
    writers: dict[str, list[str]] = {}
    for row in table():
        for entry in (*row.appends, *row.sends, *row.serves, *row.kv, *row.publishes):
            assert entry.reason.strip(), (row.service, entry.name)
        for entry in row.appends:
            writers.setdefault(entry.name, []).append(row.service)
    assert all(len(services) == 1 for services in writers.values()), writers
    expected = {
        "user": "auth",
        "cred": "vault",
        "bot": "executor",
        "account": "executor",
        "signal": "strategy",
        "audit": "gateway",
        "notification": "notify",
    }
    assert {kind: writers[kind][0] for kind in expected} == expected


def test_only_the_executor_sends_sign_and_only_the_vault_serves_vault_commands() -> None:
    senders = {row.service for row in table() if "cmd.vault.sign" in {e.name for e in row.sends}}
    assert senders == {"executor"}
    servers = {
        row.service for row in table() for e in row.serves if e.name.startswith("cmd.vault.")
    }
    assert servers == {"vault"}
    gateway = {e.name for e in row_of("gateway").sends}
    assert "cmd.vault.wrapping_key" in gateway and "cmd.vault.sign" not in gateway
    assert "cmd.vault.wrapping_key" in {e.name for e in row_of("vault").serves}


def test_no_row_grants_a_wildcard_beyond_its_own() -> None:
    for row in table():
        granted = permissions(row)
        assert ">" not in granted.publish and ">" not in granted.subscribe
        assert not any(s.startswith("_INBOX.") for s in granted.subscribe)
        assert granted.subscribe[0] == f"_INBOX_{row.service}.>"
        assert not any(".STREAM.DELETE" in s or ".STREAM.PURGE" in s for s in granted.publish)


def test_the_test_scope_keeps_other_rows_buckets_denied() -> None:
    granted = permissions(row_of("gateway"), Scope.any())
    assert "$KV.fleet_leases.>" in granted.deny_publish
    assert "*.audit.*" in granted.publish


def test_the_asyncapi_document_is_current_and_names_every_subject() -> None:
    path = ROOT / asyncapi.DOCUMENT
    text = path.read_text()
    assert text == asyncapi.render(), "stale: run python -m fleet.stack.asyncapi"
    document = yaml.safe_load(text)
    assert document["asyncapi"] == "3.0.0"
    addresses = {channel["address"] for channel in document["channels"].values()}
    for row in table():
        for entry in (*row.sends, *row.serves):
            assert entry.name in addresses, entry.name
        for entry in row.appends:
            assert f"ev.{entry.name}.{{id}}" in addresses, entry.name
        for entry in row.kv:
            assert f"$KV.{entry.name}.{{key}}" in addresses, entry.name
        assert f"_INBOX_{row.service}.{{reply}}" in addresses
    carried = {
        name for channel in document["channels"].values() for name in channel.get("messages", {})
    }
    for event in ALL_EVENTS:  # every event type is on its aggregate's channel
        assert f"{event.event_type}.v{event.schema_version}".replace(".", "_") in carried
    for operation in document["operations"].values():
        reference = operation["channel"]["$ref"].removeprefix("#/channels/")
        assert reference in document["channels"]


def test_every_aggregate_type_and_command_has_a_row() -> None:
    """A new aggregate type or command (another change's) must get its row entry here, or
    its writer's appends / its server's subscription would be refused in production."""
    import importlib
    import pkgutil

    import fleet.events

    declared = set()
    for info in pkgutil.iter_modules(fleet.events.__path__):
        module = importlib.import_module(f"fleet.events.{info.name}")
        for name, value in vars(module).items():
            if name.endswith("_AGGREGATE") and isinstance(value, str):
                declared.add(value)
    appended = {entry.name for row in table() for entry in row.appends}
    assert declared <= appended, f"aggregate types with no writer row: {declared - appended}"
    served = [entry.name for row in table() for entry in row.serves]
    assert len(served) == len(set(served))
    for cls in command_classes():
        assert f"cmd.{cls.service}.{cls.name}" in served, cls
