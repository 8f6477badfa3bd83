"""Creating and verifying the one JetStream stream that holds every domain event.

Durability (written down, see the README): the stream is file-backed; nats-server flushes
to disk every 2 minutes by default (``sync_interval``) and relies on replication (R3) to
survive a node loss; on a single box ``sync_interval: always`` trades throughput for
fsync-per-write safety. That is a server setting, chosen per deployment.

Size (the README's decision): the stream has a byte limit (``max_bytes``; ``fleet up``
and the stream-init job set 10 GiB, ``FLEET_EVENT_LOG_MAX_BYTES``, read by
``fleet.settings.StreamSettings``) and no age limit, and keeps
``DiscardPolicy.NEW``: at the limit an append is refused (``AppendRejected``), loudly,
and no stored event is ever dropped to make room. Alerts come long before: see
``fleet.eventstore.budget`` (a gauge and an event at 80 %).

Telemetry (issue 22): decisions that change no state (routine skips) go to a second
stream beside the log, ``FLEET_TELEMETRY`` (subjects ``tm.>``), with limits retention:
messages older than ``max_age`` (30 days) or beyond ``max_bytes`` (4 GiB) are dropped,
oldest first. Nothing is folded from it; only the decision feed reads it.
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

from fleet.events.subjects import all_events_subject, all_telemetry_subject
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
# One runner per read model across every gateway worker and replica (key
# "<stream>.<projection>"): a bucket apart, so the gateway may write it without being able
# to take over the executors' partitions or the active strategy.
PROJECTION_LEASE_BUCKET = "fleet_projection_leases"
# Shared token buckets (an egress IP's BingX budget, used by every executor behind it).
BUDGET_BUCKET = "fleet_budgets"
# Where an identity's budget owner answers bookings: ``budget.grant.<scope>.<identity>``
# (fleet.executor.adapters.budget_owner; the NATS permissions of fleet.stack).
BUDGET_GRANT_PREFIX = "budget.grant"
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


TELEMETRY_STREAM = "FLEET_TELEMETRY"
TELEMETRY_PREFIX = "tm"
TELEMETRY_MAX_AGE_DAYS = 30.0
TELEMETRY_MAX_BYTES = 4 * 1024**3


@dataclass(frozen=True)
class TelemetrySpec:
    """What the telemetry stream beside an event log looks like: its name, its subject
    prefix and its limits (age and size; the oldest messages go first)."""

    name: str = TELEMETRY_STREAM
    prefix: str = TELEMETRY_PREFIX
    replicas: int = 1
    max_age_days: float = TELEMETRY_MAX_AGE_DAYS
    max_bytes: int = TELEMETRY_MAX_BYTES

    @classmethod
    def beside(
        cls,
        log: StreamSpec,
        max_age_days: float = TELEMETRY_MAX_AGE_DAYS,
        max_bytes: int | None = None,
    ) -> TelemetrySpec:
        """The telemetry stream of the event log ``log``: ``FLEET_TELEMETRY`` / ``tm``
        beside ``FLEET_EVENTS`` / ``ev``, 4 GiB unless ``max_bytes`` says; any other log
        (a test's ``EV_<ns>`` / ``<ns>``) gets its own, ``TM_<name>`` / ``tm<prefix>``,
        without a size cap unless given one (JetStream reserves a stream's ``max_bytes``
        on the server: a test server holds a stream per test)."""
        deployed = (log.name, log.prefix) == (DEFAULT_STREAM, DEFAULT_PREFIX)
        if max_bytes is None:
            max_bytes = TELEMETRY_MAX_BYTES if deployed else -1
        return cls(
            name=TELEMETRY_STREAM if deployed else f"TM_{log.name}",
            prefix=TELEMETRY_PREFIX if deployed else f"{TELEMETRY_PREFIX}{log.prefix}",
            replicas=log.replicas,
            max_age_days=max_age_days,
            max_bytes=max_bytes,
        )

    def as_log(self) -> StreamSpec:
        """The same stream as a :class:`StreamSpec`, for reading it with an ``EventStore``
        (its messages have the log's shape; nothing may append to it)."""
        return StreamSpec(name=self.name, prefix=self.prefix, replicas=self.replicas)

    def config(self) -> StreamConfig:
        """Limits retention: file storage, dropped by age and size, de-duplicated by
        ``Nats-Msg-Id`` (a decision published twice is stored once)."""
        return StreamConfig(
            name=self.name,
            subjects=[all_telemetry_subject(self.prefix)],
            storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS,
            discard=DiscardPolicy.OLD,
            max_age=self.max_age_days * 24 * 3600.0,
            max_bytes=self.max_bytes,
            num_replicas=self.replicas,
            allow_direct=True,
            duplicate_window=DUPLICATE_WINDOW_S,
        )


async def ensure_telemetry_stream(js: JetStreamContext, spec: TelemetrySpec) -> StreamInfo:
    """Create the telemetry stream if missing; otherwise apply its age and size limits
    (the two settings an operator may move)."""
    try:
        info = await js.stream_info(spec.name)
    except NotFoundError:
        return await js.add_stream(spec.config())
    wanted = spec.config()
    if (info.config.max_age, info.config.max_bytes) != (wanted.max_age, wanted.max_bytes):
        info.config.max_age = wanted.max_age
        info.config.max_bytes = wanted.max_bytes
        info = await js.update_stream(info.config)
    return info


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


async def ensure_platform(
    js: JetStreamContext, spec: StreamSpec, telemetry: TelemetrySpec | None = None
) -> None:
    """The domain stream, its telemetry stream (``TelemetrySpec.beside(spec)`` unless
    given), the market-data stream, the lease, read-model lease, budget, quarantine,
    snapshot, notify and charts buckets (admin only: services may not create streams)."""
    await ensure_stream(js, spec)
    await ensure_telemetry_stream(js, telemetry or TelemetrySpec.beside(spec))
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
        await js.key_value(PROJECTION_LEASE_BUCKET)
    except NotFoundError:
        await js.create_key_value(
            KeyValueConfig(bucket=PROJECTION_LEASE_BUCKET, ttl=LEASE_TTL_S, replicas=spec.replicas)
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
    log: StreamSpec | None = None,
    *,
    telemetry: tuple[float, int] = (TELEMETRY_MAX_AGE_DAYS, TELEMETRY_MAX_BYTES),
    ca_file: str | None = None,
) -> None:
    """Connect, create or verify the platform's streams and buckets, disconnect (used by
    ``fleet up`` and the ``stream-init`` job): the log ``log`` (``FLEET_EVENTS`` by
    default) and its telemetry stream with ``telemetry``'s (max age in days, max bytes).
    With ``ca_file`` NATS is reached over TLS, verified against that CA (host name
    included)."""
    tls = ssl.create_default_context(cafile=ca_file) if ca_file else None
    nc = await nats.connect(nats_url, connect_timeout=5, max_reconnect_attempts=3, tls=tls)
    log = log or StreamSpec()
    try:
        await ensure_platform(nc.jetstream(), log, TelemetrySpec.beside(log, *telemetry))
    finally:
        await nc.close()
