"""Snapshots of aggregates with long histories: the state at a version, loaded first, then
only the events after it (issue 22: a user, bot or account is otherwise replayed from its
first event on every load).

A snapshot is a cache, never the truth: the log still holds every event, and any snapshot
that cannot be trusted is ignored and the aggregate replayed in full — one of another
schema (``snapshot_schema`` of the aggregate class changed), of another aggregate, newer
than the log (a log rebuilt or restored), or that does not decode or restore.

Stored in the ``fleet_snapshots`` KV bucket (history 1), key ``<type>.<id>``, as JSON:
``{"type", "id", "schema", "version", "state"}`` where ``version`` is the stream sequence
of the last event folded into ``state``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Protocol

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import NotFoundError
from nats.js.kv import KeyValue

from fleet.events import AggregateRef

SNAPSHOT_BUCKET = "fleet_snapshots"
SNAPSHOT_EVERY = 100  # events after the last snapshot before a new one is written
SNAPSHOT_VALUE_MAX = 1024 * 1024
SNAPSHOT_MAX_BYTES = 1024 * 1024 * 1024
MISSING_BUCKET_RETRY_S = 60.0


@dataclass(frozen=True)
class Snapshot:
    """One aggregate's state as of ``version`` (a stream sequence)."""

    ref: AggregateRef
    schema: int
    version: int
    state: Any

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "type": self.ref.type,
                "id": self.ref.id,
                "schema": self.schema,
                "version": self.version,
                "state": self.state,
            },
            separators=(",", ":"),
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Snapshot | None:
        """The snapshot in ``data``, ``None`` when it is not one (corrupt, cut short)."""
        try:
            raw = json.loads(data)
            ref = AggregateRef(type=raw["type"], id=raw["id"])
            schema, version = raw["schema"], raw["version"]
        except (ValueError, KeyError, TypeError):
            return None
        if not isinstance(schema, int) or not isinstance(version, int) or version < 1:
            return None
        return cls(ref, schema, version, raw.get("state"))


def snapshot_key(ref: AggregateRef) -> str:
    """The bucket key of one aggregate's snapshot."""
    return f"{ref.type}.{ref.id}"


class SnapshotStore(Protocol):
    """Where snapshots are kept (raw bytes; the repository judges what it reads)."""

    async def get(self, ref: AggregateRef) -> bytes | None: ...

    async def put(self, ref: AggregateRef, data: bytes) -> None: ...


class KvSnapshots:
    """Snapshots in the ``fleet_snapshots`` KV bucket (opened on first use)."""

    def __init__(self, js: JetStreamContext, bucket: str = SNAPSHOT_BUCKET) -> None:
        self._js = js
        self._bucket = bucket
        self._kv: KeyValue | None = None
        self._missing_until = 0.0

    async def _open(self) -> KeyValue | None:
        """The bucket, or ``None`` while it does not exist (asked again a minute later):
        a platform without it loads every aggregate from its first event."""
        if self._kv is None and time.monotonic() >= self._missing_until:
            try:
                self._kv = await self._js.key_value(self._bucket)
            except NotFoundError:
                self._missing_until = time.monotonic() + MISSING_BUCKET_RETRY_S
        return self._kv

    async def get(self, ref: AggregateRef) -> bytes | None:
        kv = await self._open()
        if kv is None:
            return None
        try:
            entry = await kv.get(snapshot_key(ref))
        except NotFoundError:  # KeyNotFoundError and KeyDeletedError derive from it
            return None
        return entry.value

    async def put(self, ref: AggregateRef, data: bytes) -> None:
        kv = await self._open()
        if kv is not None:
            await kv.put(snapshot_key(ref), data)


class MemorySnapshots:
    """Snapshots in a dict (tests, tools)."""

    def __init__(self) -> None:
        self.saved: dict[str, bytes] = {}

    async def get(self, ref: AggregateRef) -> bytes | None:
        return self.saved.get(snapshot_key(ref))

    async def put(self, ref: AggregateRef, data: bytes) -> None:
        self.saved[snapshot_key(ref)] = data


async def ensure_snapshot_bucket(js: JetStreamContext, replicas: int = 1) -> None:
    """The snapshot bucket: one value per aggregate (history 1), bounded in size."""
    try:
        await js.key_value(SNAPSHOT_BUCKET)
    except NotFoundError:
        await js.create_key_value(
            KeyValueConfig(
                bucket=SNAPSHOT_BUCKET,
                history=1,
                replicas=replicas,
                max_value_size=SNAPSHOT_VALUE_MAX,
                max_bytes=SNAPSHOT_MAX_BYTES,
                storage=StorageType.FILE,
            )
        )
