"""What the other services say about themselves through NATS, read-only: the leases
(the active strategy, the vault's counter, each executor partition's owner and the
executor members' heartbeats), the shared BingX rate budgets per egress identity, and
the log's last signal. The gateway may read these KV buckets, never write them
(``fleet.stack.permissions``: ``kv_reads``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from nats.aio.client import Client
from nats.js.errors import KeyNotFoundError, NoKeysError, NotFoundError
from nats.js.kv import KeyValue

from fleet.events import Envelope
from fleet.eventstore import StreamSpec
from fleet.eventstore.stream import BUDGET_BUCKET, LEASE_BUCKET

STRATEGY_LEASE = "strategy"


@dataclass(frozen=True)
class Leases:
    """Who holds what, as the lease bucket says now (expired leases are gone)."""

    strategy: str | None
    vault: str | None
    executor_members: tuple[str, ...]
    partitions: dict[int, str]  # partition -> owning executor instance


@dataclass(frozen=True)
class BudgetState:
    """One shared token bucket of an egress identity (tokens left when last spent)."""

    identity: str
    bucket: str
    tokens: float | None
    spent_at: datetime | None


class ClusterState:
    """Reads of the lease and budget buckets and of the last signal in the log."""

    def __init__(self, nc: Client, stream: StreamSpec) -> None:
        self._nc = nc
        self._stream = stream

    async def leases(self) -> Leases:
        """Every live lease, read in one pass over the bucket."""
        values = await _read_all(await self._nc.jetstream().key_value(LEASE_BUCKET))
        scope = f"{self._stream.name}.executor."
        members = sorted(k[len(scope) + 7 :] for k in values if k.startswith(scope + "member."))
        partitions = {
            int(key[len(scope) + 1 :]): owner
            for key, owner in values.items()
            if key.startswith(scope + "p") and key[len(scope) + 1 :].isdigit()
        }
        return Leases(
            strategy=values.get(STRATEGY_LEASE),
            vault=values.get(f"vault-health.{self._stream.prefix}"),
            executor_members=tuple(members),
            partitions=dict(sorted(partitions.items())),
        )

    async def budgets(self) -> list[BudgetState]:
        """The per-IP buckets the executors share, per egress identity."""
        values = await _read_all(await self._nc.jetstream().key_value(BUDGET_BUCKET))
        prefix = f"{self._stream.name}."
        found = []
        for key, raw in sorted(values.items()):
            if not key.startswith(prefix) or key.count(".") < 2:
                continue
            identity, bucket = key[len(prefix) :].rsplit(".", 1)
            found.append(_budget(identity, bucket, raw))
        return found

    async def last_signal(self) -> Envelope | None:
        """The newest signal event in the log (one direct get)."""
        subject = f"{self._stream.prefix}.signal.>"
        try:
            message = await self._nc.jetstream().get_last_msg(self._stream.name, subject)
        except NotFoundError:
            return None
        return Envelope.from_wire(message.data or b"", int(message.seq or 0))


async def _read_all(kv: KeyValue) -> dict[str, str]:
    try:
        keys = await kv.keys()
    except NoKeysError:
        return {}
    values = {}
    for key in keys:
        try:
            entry = await kv.get(key)
        except KeyNotFoundError:  # expired between the listing and the read
            continue
        values[key] = (entry.value or b"").decode(errors="replace")
    return values


def _budget(identity: str, bucket: str, raw: str) -> BudgetState:
    try:
        state = json.loads(raw)
    except ValueError:
        state = {}
    tokens = state.get("tokens") if isinstance(state, dict) else None
    at = state.get("at", state.get("until")) if isinstance(state, dict) else None
    return BudgetState(
        identity=identity,
        bucket=bucket,
        tokens=float(tokens) if isinstance(tokens, int | float) else None,
        spent_at=datetime.fromtimestamp(at, UTC) if isinstance(at, int | float) else None,
    )
