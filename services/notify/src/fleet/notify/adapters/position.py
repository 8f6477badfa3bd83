"""The service's position in the log, kept in a NATS KV bucket (one key)."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.errors import BucketNotFoundError, KeyNotFoundError
from nats.js.kv import KeyValue

KEY = "position"


class KvPosition:
    """Load and save the last sequence every delivery of which is done or recorded."""

    def __init__(self, js: JetStreamContext, bucket: str) -> None:
        self._js = js
        self._bucket = bucket
        self._kv: KeyValue | None = None

    async def _store(self) -> KeyValue:
        if self._kv is None:
            try:
                self._kv = await self._js.key_value(self._bucket)
            except BucketNotFoundError:
                # only a user allowed to create streams can: deployments make it beforehand
                # (fleet.eventstore.ensure_platform, run by fleet up and stream-init)
                self._kv = await self._js.create_key_value(bucket=self._bucket, history=1)
        return self._kv

    async def load(self) -> int | None:
        """The saved position, ``None`` before the first start."""
        try:
            entry = await (await self._store()).get(KEY)
        except KeyNotFoundError:
            return None
        return int(entry.value or b"0")

    async def save(self, position: int) -> None:
        await (await self._store()).put(KEY, str(position).encode())
