"""An AsyncAPI 3.0 document of every subject on Fleet's bus, from the permission table.

Events (one channel per aggregate type, every event type's JSON schema from the event
registry), commands (request and reply schemas from the command classes), reply inboxes,
market data and KV buckets; one operation per row entry: who appends, sends, serves or
uses what, and why. ``python -m fleet.stack.asyncapi [root]`` rewrites
``docs/asyncapi.yaml``; a test fails when it is stale.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

from fleet.events.catalog import ALL_EVENTS
from fleet.events.commands import Command, CommandReply
from fleet.events.registry import DomainEvent
from fleet.events.trading import SignalEvaluated
from fleet.eventstore.stream import TELEMETRY_PREFIX
from fleet.stack.permissions import (
    ADMIN_USER,
    DEPLOYED_SCOPE,
    Entry,
    Row,
    command_classes,
    inbox_prefix,
    table,
)

DOCUMENT = "docs/asyncapi.yaml"
SCHEMA_FORMAT = "application/schema+json;version=draft-2020-12"
# An event type's first token names its aggregate type, except these.
EVENT_AGGREGATES = {
    "credential": "cred",
    "trading": "account",
    "notification.preferences_set": "notify_prefs",
}


def aggregate_of(event: type[DomainEvent]) -> str:
    """The aggregate type whose subjects carry ``event``."""
    name = event.event_type
    return (
        EVENT_AGGREGATES.get(name)
        or EVENT_AGGREGATES.get(name.split(".")[0])
        or (name.split(".")[0])
    )


def _id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_\-]", "_", text)


def _payload(model: Any) -> dict[str, Any]:
    return {"schemaFormat": SCHEMA_FORMAT, "schema": model.model_json_schema()}


def _first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0] if lines else ""


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/{kind}/{_id(name)}"}


def document() -> dict[str, Any]:
    """The AsyncAPI document as a mapping (deterministic: dumped with sorted keys)."""
    prefix = DEPLOYED_SCOPE.prefix
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for event in ALL_EVENTS:
        key = f"{event.event_type}.v{event.schema_version}"
        messages[_id(key)] = {
            "name": event.event_type,
            "title": key,
            "summary": _first_line(event.__doc__),
            "payload": _payload(event),
        }
    messages["CommandReply"] = {"name": "CommandReply", "payload": _payload(CommandReply)}
    owners = {entry.name: row.service for row in table() for entry in row.appends}
    for aggregate, owner in sorted(owners.items()):
        channels[_id(f"events.{aggregate}")] = {
            "address": f"{prefix}.{aggregate}.{{id}}",
            "parameters": {"id": {"description": f"the {aggregate} aggregate's id"}},
            "description": f"Events of the `{aggregate}` aggregate; only {owner} appends.",
            "messages": {
                _id(f"{e.event_type}.v{e.schema_version}"): _ref(
                    "components/messages", f"{e.event_type}.v{e.schema_version}"
                )
                for e in ALL_EVENTS
                if aggregate_of(e) == aggregate
            },
        }
    commands = {_command_subject(cls): cls for cls in command_classes()}
    for row in table():
        channels[_id(f"inbox.{row.service}")] = {
            "address": f"{inbox_prefix(row.service)}.{{reply}}",
            "parameters": {"reply": {"description": "a request's reply subject"}},
            "description": f"Replies to {row.service}'s requests (only it may subscribe).",
            "messages": {"CommandReply": _ref("components/messages", "CommandReply")},
        }
    for subject in sorted({e.name for row in table() for e in (*row.serves, *row.sends)}):
        cls = commands.get(subject)
        name = _id(subject)
        if cls is not None:
            messages[name] = {"name": subject, "payload": _payload(cls)}
        else:
            messages[name] = {"name": subject, "summary": "request body not yet declared"}
        channels[name] = {
            "address": subject,
            "description": _first_line(cls.__doc__) if cls else subject,
            "messages": {"request": _ref("components/messages", subject)},
        }
    for row in table():
        _row_operations(row, operations)
    buckets = sorted({e.name: e for row in table() for e in row.kv}.items())
    for bucket, entry in buckets:
        channels[_id(f"kv.{bucket}")] = {
            "address": f"$KV.{bucket}.{{key}}",
            "parameters": {"key": {"description": "the key"}},
            "description": f"KV bucket `{bucket}` (stream KV_{bucket}): {entry.reason}.",
        }
    for row in table():
        for entry in row.publishes:
            channels[_id(_published(entry.name))] = _published_channel(entry)
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Fleet bus",
            "version": "1.0.0",
            "description": (
                "Every NATS subject Fleet uses, who may publish and subscribe it and why "
                "(generated from fleet.stack.permissions; the same table renders nats.conf). "
                f"The `{ADMIN_USER}` user (operators, stream-init) may do everything."
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def _command_subject(cls: type[Command]) -> str:
    return f"cmd.{cls.service}.{cls.name}"


def _row_operations(row: Row, operations: dict[str, Any]) -> None:
    def add(verb: str, name: str, channel: str, action: str, reason: str, **extra: Any) -> None:
        operations[_id(f"{row.service}.{verb}.{name}")] = {
            "action": action,
            "channel": _ref("channels", channel),
            "summary": reason,
            "x-service": row.service,
            **extra,
        }

    for entry in row.appends:
        add("append", entry.name, f"events.{entry.name}", "send", entry.reason)
    inbox = {"channel": _ref("channels", f"inbox.{row.service}")}
    for entry in row.sends:
        add("send", entry.name, entry.name, "send", entry.reason, reply=inbox)
    for entry in row.serves:
        add("serve", entry.name, entry.name, "receive", entry.reason)
    for entry in row.kv:
        add("kv", entry.name, f"kv.{entry.name}", "send", entry.reason)
    for entry in row.kv_reads:
        add("kv_read", entry.name, f"kv.{entry.name}", "receive", entry.reason)
    for entry in row.publishes:
        add("publish", entry.name, _published(entry.name), "send", entry.reason)


def _published(subject: str) -> str:
    """The channel of a subject a row publishes besides the log: market data or telemetry."""
    kind = "telemetry" if subject.startswith(f"{TELEMETRY_PREFIX}.") else "market"
    return f"{kind}.{subject}"


def _published_channel(entry: Entry) -> dict[str, Any]:
    if entry.name.startswith(f"{TELEMETRY_PREFIX}."):
        evaluated = f"{SignalEvaluated.event_type}.v{SignalEvaluated.schema_version}"
        return {
            "address": entry.name.replace("*", "{id}"),
            "parameters": {"id": {"description": "the account aggregate's id (the user)"}},
            "description": f"{entry.reason} (kept 30 days).",
            "messages": {_id(evaluated): _ref("components/messages", evaluated)},
        }
    return {
        "address": entry.name.replace(">", "{symbol}.{timeframe}"),
        "parameters": {
            "symbol": {"description": "the instrument"},
            "timeframe": {"description": "the candle's timeframe"},
        },
        "description": entry.reason,
    }


def render() -> str:
    header = "# Generated by `python -m fleet.stack.asyncapi` (fleet.stack.asyncapi).\n"
    return header + yaml.safe_dump(document(), sort_keys=True, width=100)


def write(root: Path) -> Path:
    path = root / DOCUMENT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render())
    return path


if __name__ == "__main__":
    print(write(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()))
