"""Creating and verifying the one JetStream stream that holds every domain event.

Durability (written down, see the README): the stream is file-backed; nats-server flushes
to disk every 2 minutes by default (``sync_interval``) and relies on replication (R3) to
survive a node loss; on a single box ``sync_interval: always`` trades throughput for
fsync-per-write safety. That is a server setting, chosen per deployment.

Size (the README's decision): the stream has a byte limit (``max_bytes``; ``fleet up``
sets 10 GiB, ``FLEET_EVENT_LOG_MAX_BYTES``) and no age limit, and keeps
``DiscardPolicy.NEW``: at the limit an append is refused (``AppendRejected``), loudly,
and no stored event is ever dropped to make room. Alerts come long before: see
``fleet.eventstore.budget`` (a gauge and an event at 80 %).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import nats
from nats.js import JetStreamContext
from nats.js.api import (
    DiscardPolicy,
    KeyValueConfig,
    RetentionPolicy,
    StorageType,
    StreamConfig,
    StreamInfo,
)
from nats.js.errors import NotFoundError

from fleet.events.subjects import all_events_subject
from fleet.eventstore.errors import StreamMisconfigured
from fleet.eventstore.snapshots import ensure_snapshot_bucket

DEFAULT_STREAM = "FLEET_EVENTS"
DEFAULT_PREFIX = "ev"
# Nats-Msg-Id de-duplication window. Beyond it, append() still recognises a retried
# batch by reading the aggregate, so this only bounds server memory.
DUPLICATE_WINDOW_S = 15 * 60.0


@dataclass(frozen=True)
class StreamSpec:
    """What the domain stream must look like."""

    name: str = DEFAULT_STREAM
    prefix: str = DEFAULT_PREFIX
    replicas: int = 1
    max_bytes: int = -1  # -1: no limit (test streams); fleet up and k8s set one

    def config(self) -> StreamConfig:
        """The JetStream configuration: file storage, no delete, no purge, atomic batches."""
        return StreamConfig(
            name=self.name,
            subjects=[all_events_subject(self.prefix)],
            storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS,
            discard=DiscardPolicy.NEW,  # at the limit: refuse new events, never drop old ones
            max_bytes=self.max_bytes,
            num_replicas=self.replicas,
            deny_delete=True,
            deny_purge=True,
            allow_direct=True,
            allow_atomic=True,
            duplicate_window=DUPLICATE_WINDOW_S,
        )


async def ensure_stream(js: JetStreamContext, spec: StreamSpec) -> StreamInfo:
    """Create the stream if missing; otherwise verify it keeps the log's guarantees."""
    try:
        info = await js.stream_info(spec.name)
    except NotFoundError:
        return await js.add_stream(spec.config())
    verify_stream(info, spec)
    if spec.max_bytes not in (-1, info.config.max_bytes):
        info.config.max_bytes = spec.max_bytes  # the one limit an operator may move
        info = await js.update_stream(info.config)
    return info


def verify_stream(info: StreamInfo, spec: StreamSpec) -> None:
    """Raise :class:`StreamMisconfigured` naming every guarantee the stream breaks."""
    config = info.config
    problems = []
    if config.storage != StorageType.FILE:
        problems.append("storage must be file")
    if not config.deny_delete:
        problems.append("deny_delete must be true")
    if not config.deny_purge:
        problems.append("deny_purge must be true")
    if not config.allow_atomic:
        problems.append("allow_atomic must be true")
    if all_events_subject(spec.prefix) not in (config.subjects or []):
        problems.append(f"subjects must include {all_events_subject(spec.prefix)}")
    if config.discard != DiscardPolicy.NEW:
        problems.append("discard must be new (never drop stored events)")
    if config.max_age:
        problems.append("max_age must be unset (events never age out)")
    if problems:
        raise StreamMisconfigured(f"stream {spec.name}: " + "; ".join(problems))


MARKET_STREAM = "FLEET_MARKET"
MARKET_PREFIX = "md"
MARKET_MAX_AGE_S = 7 * 24 * 3600.0
LEASE_BUCKET = "fleet_leases"
LEASE_TTL_S = 3.0
# Shared token buckets (an egress IP's BingX budget, used by every executor behind it).
BUDGET_BUCKET = "fleet_budgets"
BUDGET_TTL_S = 3600.0
# Messages readers passed over (see fleet.eventstore.quarantine): evidence, bounded.
QUARANTINE_BUCKET = "fleet_quarantine"
QUARANTINE_VALUE_MAX = 4096
QUARANTINE_MAX_BYTES = 64 * 1024 * 1024
# The notify service's position in the log (key "position"; services/notify/README.md).
NOTIFY_BUCKET = "fleet_notify"
# The charts' market data: per "<symbol>.<timeframe>" the strategy's bounded window of
# candles (the forming one last) with its ADX / +DI / -DI; the gateway reads it.
CHARTS_BUCKET = "fleet_charts"
CHARTS_VALUE_MAX = 256 * 1024


def chart_key(symbol: str, timeframe: str) -> str:
    """The charts bucket's key of one (symbol, timeframe)."""
    return f"{symbol}.{timeframe}"


def market_stream_config(replicas: int = 1) -> StreamConfig:
    """Market data (candles): its own stream with a retention limit, not the domain log."""
    return StreamConfig(
        name=MARKET_STREAM,
        subjects=[f"{MARKET_PREFIX}.>"],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        max_age=MARKET_MAX_AGE_S,
        num_replicas=replicas,
        duplicate_window=DUPLICATE_WINDOW_S,
        allow_direct=True,
    )


async def ensure_platform(js: JetStreamContext, spec: StreamSpec) -> None:
    """The domain stream, the market-data stream, the lease, budget, quarantine, snapshot,
    notify and charts buckets (admin only: services may not create streams)."""
    await ensure_stream(js, spec)
    try:
        await js.stream_info(MARKET_STREAM)
    except NotFoundError:
        await js.add_stream(market_stream_config(spec.replicas))
    try:
        await js.key_value(LEASE_BUCKET)
    except NotFoundError:
        await js.create_key_value(
            KeyValueConfig(bucket=LEASE_BUCKET, ttl=LEASE_TTL_S, replicas=spec.replicas)
        )
    try:
        await js.key_value(BUDGET_BUCKET)
    except NotFoundError:
        await js.create_key_value(
            KeyValueConfig(bucket=BUDGET_BUCKET, ttl=BUDGET_TTL_S, replicas=spec.replicas)
        )
    await ensure_quarantine_bucket(js, spec.replicas)
    await ensure_snapshot_bucket(js, spec.replicas)
    try:
        await js.key_value(NOTIFY_BUCKET)
    except NotFoundError:
        await js.create_key_value(
            KeyValueConfig(bucket=NOTIFY_BUCKET, history=1, replicas=spec.replicas)
        )
    try:
        await js.key_value(CHARTS_BUCKET)
    except NotFoundError:
        await js.create_key_value(
            KeyValueConfig(
                bucket=CHARTS_BUCKET,
                history=1,
                max_value_size=CHARTS_VALUE_MAX,
                direct=True,
                replicas=spec.replicas,
            )
        )


async def ensure_quarantine_bucket(js: JetStreamContext, replicas: int = 1) -> None:
    """The bucket where readers record messages that are not valid events (kept, no TTL)."""
    try:
        await js.key_value(QUARANTINE_BUCKET)
    except NotFoundError:
        await js.create_key_value(
            KeyValueConfig(
                bucket=QUARANTINE_BUCKET,
                replicas=replicas,
                max_value_size=QUARANTINE_VALUE_MAX,
                max_bytes=QUARANTINE_MAX_BYTES,
                storage=StorageType.FILE,
            )
        )


async def ensure_domain_stream(
    nats_url: str,
    *,
    replicas: int = 1,
    name: str = DEFAULT_STREAM,
    prefix: str = DEFAULT_PREFIX,
    max_bytes: int = -1,
    ca_file: str | None = None,
) -> None:
    """Connect, create or verify the platform's streams and buckets, disconnect (used by
    ``fleet up`` and the ``stream-init`` job). With ``ca_file`` NATS is reached over TLS,
    verified against that CA (host name included)."""
    tls = ssl.create_default_context(cafile=ca_file) if ca_file else None
    nc = await nats.connect(nats_url, connect_timeout=5, max_reconnect_attempts=3, tls=tls)
    try:
        await ensure_platform(
            nc.jetstream(),
            StreamSpec(name=name, prefix=prefix, replicas=replicas, max_bytes=max_bytes),
        )
    finally:
        await nc.close()
