"""Who may say what on the bus: the one table of NATS permissions.

Each Fleet service connects as its own NATS user. Its row says, with the reason for every
entry, which aggregate types it appends (``<prefix>.<type>.*``), which commands it sends
and serves (``cmd.<service>.<name>``), which other subjects it publishes, which KV buckets
it uses and which streams it reads. :func:`permissions` turns a row into the allow-lists
nats-server enforces; ``fleet.stack.nats_config`` renders them for the embedded stack,
compose and Kubernetes, and ``fleet.stack.asyncapi`` documents every subject from it.

Derived from what each service does today (``git grep`` of every publish, request,
subscriber, ``EventStore.append``, KV and JetStream call):

- every service reads the whole event log (projections, deciders, followers) through
  pull consumers and ``get_last_msg``: reading is not restricted, writing is;
- a service's replies arrive on its own inbox prefix ``_INBOX_<service>`` (nats-py
  ``connect(inbox_prefix=...)``; FastStream's ``NatsBroker`` passes it through), so no
  service can listen to another's replies (sign replies carry API keys);
- a service that serves commands answers them with ``allow_responses`` (it may publish
  to the reply subject of a request it received, once), never to ``_INBOX*`` at large.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from fleet.events.audit import AUDIT_AGGREGATE
from fleet.events.billing import BILLING_AGGREGATE, PLAN_AGGREGATE
from fleet.events.bots import BOT_AGGREGATE
from fleet.events.commands import Command, command_subject
from fleet.events.credentials import CREDENTIAL_AGGREGATE
from fleet.events.halt import HALT_AGGREGATE
from fleet.events.history import HISTORY_AGGREGATE
from fleet.events.notifications import NOTIFICATION_AGGREGATE, PREFERENCES_AGGREGATE
from fleet.events.security import SECURITY_AGGREGATE
from fleet.events.signals import SIGNAL_AGGREGATE
from fleet.events.system_settings import SYSTEM_AGGREGATE
from fleet.events.trading import ACCOUNT_AGGREGATE
from fleet.events.users import (
    ADMIN_ROSTER_AGGREGATE,
    EMAIL_AGGREGATE,
    USER_AGGREGATE,
    USERNAME_AGGREGATE,
)
from fleet.eventstore.snapshots import SNAPSHOT_BUCKET
from fleet.eventstore.stream import (
    BUDGET_BUCKET,
    BUDGET_GRANT_PREFIX,
    CHARTS_BUCKET,
    LEASE_BUCKET,
    MARKET_PREFIX,
    MARKET_STREAM,
    NOTIFY_BUCKET,
    PROJECTION_LEASE_BUCKET,
    QUARANTINE_BUCKET,
    TELEMETRY_PREFIX,
    TELEMETRY_STREAM,
)

ADMIN_USER = "admin"
# The vault's reply with the public half of its BYOK wrapping key (h14byok adds the class).
WRAPPING_KEY_SUBJECT = "cmd.vault.wrapping_key"


@dataclass(frozen=True)
class Scope:
    """The names a deployment gives the event log: its stream and its subject prefix.

    ``Scope.any()`` puts ``*`` in both places: the test suite's one nats-server serves
    a stream per test (``EV_<namespace>``, prefix ``<namespace>``); everything else in
    a row (aggregate types, commands, KV buckets) stays exactly as deployed.
    """

    stream: str = "FLEET_EVENTS"
    prefix: str = "ev"

    @classmethod
    def any(cls) -> Scope:
        return cls(stream="*", prefix="*")

    @property
    def wildcard(self) -> bool:
        return self.stream == "*"


DEPLOYED_SCOPE = Scope()


@dataclass(frozen=True)
class Entry:
    """One subject (or aggregate type, or bucket) in a row, and why it is there."""

    name: str
    reason: str


@dataclass(frozen=True)
class Row:
    """What one service may do on the bus."""

    service: str
    appends: tuple[Entry, ...] = ()  # aggregate types: <prefix>.<type>.*
    sends: tuple[Entry, ...] = ()  # command subjects it requests
    serves: tuple[Entry, ...] = ()  # command subjects it subscribes to and answers
    publishes: tuple[Entry, ...] = ()  # other subjects (market data)
    kv: tuple[Entry, ...] = ()  # KV buckets it reads and writes
    kv_reads: tuple[Entry, ...] = ()  # KV buckets it only reads (no put, no delete)
    reads: tuple[Entry, ...] = ()  # streams besides the event log it reads
    summary: str = ""

    @property
    def inbox(self) -> str:
        return inbox_prefix(self.service)


def inbox_prefix(service: str) -> str:
    """The reply inbox prefix of ``service``'s connections (``_INBOX_<service>``)."""
    return f"_INBOX_{service}"


def command_classes() -> list[type[Command]]:
    # imported here: the command modules register their classes on import
    import fleet.events.auth_commands
    import fleet.events.executor_commands
    import fleet.events.history
    import fleet.events.notifications
    import fleet.events.vault_commands  # noqa: F401

    found: list[type[Command]] = []
    pending = list(Command.__subclasses__())
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if "name" in vars(cls) and "service" in _class_vars(cls):
            found.append(cls)
    return sorted(found, key=command_subject)


def _class_vars(cls: type) -> set[str]:
    return {name for klass in cls.__mro__ for name in vars(klass)}


def command_subjects(service: str) -> tuple[str, ...]:
    """Every ``cmd.<service>.*`` subject a command class declares (deduplicated)."""
    subjects = {command_subject(cls) for cls in command_classes() if cls.service == service}
    if service == "vault":
        subjects.add(WRAPPING_KEY_SUBJECT)
    return tuple(sorted(subjects))


def _cmds(service: str, reason: str, only: Iterable[str] | None = None) -> tuple[Entry, ...]:
    wanted = set(only) if only is not None else None
    return tuple(
        Entry(subject, reason)
        for subject in command_subjects(service)
        if wanted is None or subject.rsplit(".", 1)[1] in wanted
    )


QUARANTINE = Entry(
    QUARANTINE_BUCKET,
    "every event reader records a message it cannot read (fleet.eventstore.quarantine); "
    "health and `fleet events quarantine` list them",
)


def table() -> tuple[Row, ...]:
    """Every service's row (the admin user is not in it: it may do everything)."""
    return (
        Row(
            "auth",
            summary="accounts, sign-in, roles, viewer grants, access tokens",
            appends=(
                Entry(USER_AGGREGATE, "the user aggregate: created, role, grants, password"),
                Entry(USERNAME_AGGREGATE, "one claim per normalised username (uniqueness)"),
                Entry(EMAIL_AGGREGATE, "one claim per hashed normalised e-mail (uniqueness)"),
                Entry(ADMIN_ROSTER_AGGREGATE, "the active admins (the last admin stays)"),
                Entry(SYSTEM_AGGREGATE, "platform settings an admin changes (symbols, ...)"),
                Entry(SECURITY_AGGREGATE, "refused-login tallies and the log-budget alarm"),
                Entry(PLAN_AGGREGATE, "plans (tiers, prices, limits) admins define"),
                Entry(BILLING_AGGREGATE, "period closes (fee statements, invoices)"),
            ),
            serves=_cmds("auth", "the auth commands the gateway and the admin CLI send"),
            kv=(QUARANTINE,),
        ),
        Row(
            "vault",
            summary="BingX credentials in OpenBao transit; signs for the executor",
            appends=(Entry(CREDENTIAL_AGGREGATE, "connected, verified, rotated, counted"),),
            serves=_cmds(
                "vault",
                "connect/verify/disconnect/wrapping_key from the gateway, sign from the "
                "executor, rotate from the operator's CLI",
            ),
            kv=(
                Entry(LEASE_BUCKET, "one vault instance counts signatures (a lease)"),
                QUARANTINE,
            ),
        ),
        Row(
            "strategy",
            summary="market data in, signals out",
            appends=(Entry(SIGNAL_AGGREGATE, "the signals it generates"),),
            publishes=(Entry(f"{MARKET_PREFIX}.candle.>", "closed candles into FLEET_MARKET"),),
            reads=(Entry(MARKET_STREAM, "its own candles (stream info, probes)"),),
            kv=(
                Entry(LEASE_BUCKET, "one active strategy (a lease)"),
                QUARANTINE,
                Entry(CHARTS_BUCKET, "its candle windows with ADX / +DI / -DI for the charts"),
            ),
        ),
        Row(
            "executor",
            summary="bots, orders, fills, positions; the only one that has payloads signed",
            appends=(
                Entry(BOT_AGGREGATE, "bot lifecycle (start, pause, stop, kill switch)"),
                Entry(ACCOUNT_AGGREGATE, "orders, fills, positions, funding, balances"),
                Entry(HISTORY_AGGREGATE, "imported past trades (legacy bot, BingX history)"),
                Entry(HALT_AGGREGATE, "the platform's kill switch (trading.halted / resumed)"),
            ),
            publishes=(
                Entry(
                    f"{TELEMETRY_PREFIX}.{ACCOUNT_AGGREGATE}.*",
                    "routine decisions (skips) into FLEET_TELEMETRY, not the log",
                ),
            ),
            sends=(
                Entry("cmd.vault.sign", "signs BingX requests (only the executor)"),
                Entry("cmd.vault.sign_batch", "signs a loop pass's BingX requests at once"),
                Entry(f"{BUDGET_GRANT_PREFIX}.>", "books a turn with an identity's budget owner"),
            ),
            serves=(
                *_cmds("executor", "bot commands from the gateway"),
                Entry(f"{BUDGET_GRANT_PREFIX}.>", "an identity's budget owner answers bookings"),
            ),
            kv=(
                Entry(LEASE_BUCKET, "one owner per partition (a lease)"),
                Entry(BUDGET_BUCKET, "shared BingX rate budgets per egress address"),
                QUARANTINE,
                Entry(SNAPSHOT_BUCKET, "snapshots of its bots and accounts (load the tail only)"),
            ),
            reads=(Entry(TELEMETRY_STREAM, "a gained trader's recent routine skips"),),
        ),
        Row(
            "gateway",
            summary="the HTTP API and UI (internet-facing)",
            appends=(Entry(AUDIT_AGGREGATE, "the audit trail of API actions"),),
            sends=(
                *_cmds("auth", "the API's account endpoints"),
                *_cmds(
                    "vault",
                    "the API's key endpoints (never sign or rotate)",
                    only=("connect", "verify", "disconnect", "wrapping_key"),
                ),
                *_cmds("executor", "the API's bot endpoints"),
                *_cmds("notify", "the API's notification preferences"),
            ),
            kv=(
                QUARANTINE,
                Entry(PROJECTION_LEASE_BUCKET, "one runner per read model across replicas"),
            ),
            reads=(Entry(TELEMETRY_STREAM, "the decision feed's routine skips"),),
            kv_reads=(
                Entry(CHARTS_BUCKET, "the charts' candles and indicators"),
                Entry(LEASE_BUCKET, "the admin's system page: lease holders, partitions"),
                Entry(BUDGET_BUCKET, "the admin's system page: the per-IP budgets"),
            ),
        ),
        Row(
            "notify",
            summary="notifications to users (e-mail, webhooks)",
            appends=(
                Entry(NOTIFICATION_AGGREGATE, "what it sent, to whom, the outcome"),
                Entry(PREFERENCES_AGGREGATE, "a user's notification preferences"),
            ),
            serves=_cmds("notify", "preferences from the gateway"),
            kv=(Entry(NOTIFY_BUCKET, "its position in the log"), QUARANTINE),
        ),
    )


SERVICE_USERS = tuple(row.service for row in table())


def row_of(service: str) -> Row:
    """``service``'s row; KeyError for a name that has none."""
    for row in table():
        if row.service == service:
            return row
    raise KeyError(service)


def _stream_read(stream: str) -> list[str]:
    """What reading ``stream`` takes: info, message get (direct or not), ephemeral pull
    consumers (create, info, next, delete) and their acks and flow control."""
    return [
        f"$JS.API.STREAM.INFO.{stream}",
        f"$JS.API.STREAM.MSG.GET.{stream}",
        f"$JS.API.DIRECT.GET.{stream}",
        f"$JS.API.DIRECT.GET.{stream}.>",
        f"$JS.API.CONSUMER.CREATE.{stream}",
        f"$JS.API.CONSUMER.CREATE.{stream}.>",
        f"$JS.API.CONSUMER.INFO.{stream}.*",
        f"$JS.API.CONSUMER.DELETE.{stream}.*",
        f"$JS.API.CONSUMER.MSG.NEXT.{stream}.*",
        f"$JS.ACK.{stream}.>",
        f"$JS.FC.{stream}.>",
    ]


def _bucket_streams(bucket: str) -> list[str]:
    return [*_stream_read(f"KV_{bucket}"), f"$KV.{bucket}.>"]


@dataclass(frozen=True)
class Permissions:
    """A user's nats-server permissions (allow-lists; deny only in a wildcard scope)."""

    publish: tuple[str, ...]
    subscribe: tuple[str, ...]
    allow_responses: bool
    deny_publish: tuple[str, ...] = field(default=())
    deny_subscribe: tuple[str, ...] = field(default=())


def all_buckets() -> tuple[str, ...]:
    return tuple(sorted({entry.name for row in table() for entry in row.kv}))


def permissions(row: Row, scope: Scope | None = None) -> Permissions:
    """The allow-lists for ``row`` under ``scope`` (the deployed one by default)."""
    scope = scope or DEPLOYED_SCOPE
    # formatted here, not by aggregate_type_subject: the test scope's prefix is the wildcard
    publish: list[str] = [f"{scope.prefix}.{entry.name}.*" for entry in row.appends]
    publish += [entry.name for entry in (*row.sends, *row.publishes)]
    publish += _stream_read(scope.stream)
    for stream in row.reads:
        publish += _stream_read(stream.name)
    for bucket in row.kv:
        publish += _bucket_streams(bucket.name)
    for bucket in row.kv_reads:
        publish += _stream_read(f"KV_{bucket.name}")  # $KV.<bucket>.> (a put) stays refused
    subscribe = [f"{row.inbox}.>", *(entry.name for entry in row.serves)]
    deny: list[str] = []
    if scope.wildcard:
        # "*" as the stream name would also match every KV bucket and the market stream:
        # those this row does not use stay refused
        mine = {entry.name for entry in row.kv}
        readable = {entry.name for entry in row.kv_reads}
        for name in all_buckets():
            if name in readable - mine:
                deny.append(f"$KV.{name}.>")
            elif name not in mine:
                deny += [*_denied_stream(f"KV_{name}"), f"$KV.{name}.>"]
        for limited in (MARKET_STREAM, TELEMETRY_STREAM):
            if limited not in {entry.name for entry in row.reads}:
                deny += _denied_stream(limited)
    return Permissions(
        publish=tuple(dict.fromkeys(publish)),
        subscribe=tuple(dict.fromkeys(subscribe)),
        allow_responses=bool(row.serves),
        deny_publish=tuple(dict.fromkeys(deny)),
    )


def _denied_stream(stream: str) -> list[str]:
    return [
        f"$JS.API.*.*.{stream}",
        f"$JS.API.*.*.{stream}.>",
        f"$JS.API.*.*.*.{stream}",
        f"$JS.API.*.*.*.{stream}.>",
        f"$JS.ACK.{stream}.>",
        f"$JS.FC.{stream}.>",
    ]
