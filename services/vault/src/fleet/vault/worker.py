"""What runs beside the request handlers: the dependencies (built at startup), the
credential view following the log, periodic health checks (on the lease holder) and the
hourly signature-count audit."""

from __future__ import annotations

import asyncio
import contextlib

from nats.aio.client import Client
from nats.js.errors import NotFoundError

from fleet.bus.lease import LEASE_BUCKET, Lease, hold
from fleet.bus.loops import supervise
from fleet.events import AggregateId, AggregateRef, wrap
from fleet.events.catalog import domain_registry
from fleet.events.credentials import CREDENTIAL_AGGREGATE, SignaturesCounted
from fleet.eventstore import EventStore, Repository, StreamSpec
from fleet.obs import get_logger
from fleet.vault.adapters.bingx_probe import BingxProbe
from fleet.vault.adapters.transit import TransitKeeper
from fleet.vault.adapters.vault_auth import AppRoleLogin, StaticToken
from fleet.vault.adapters.vault_http import VaultAuth, VaultHttp
from fleet.vault.credential_view import CredentialView
from fleet.vault.deps import VaultDeps
from fleet.vault.domain.connect_gate import ConnectGate
from fleet.vault.domain.credential import Credential
from fleet.vault.errors import VaultServiceError
from fleet.vault.health_checks import HealthChecks
from fleet.vault.settings import VaultSettings
from fleet.vault.sign_subscriber import SignSubscriber

AUDIT_EVERY_S = 60.0


def vault_auth(settings: VaultSettings) -> VaultAuth:
    """AppRole when a role id is configured, else the given token."""
    if settings.vault_role_id and settings.vault_secret_id_file is not None:
        return AppRoleLogin(settings.vault_role_id, settings.vault_secret_id_file)
    return StaticToken(settings.token())


class VaultWorker:
    def __init__(self, settings: VaultSettings) -> None:
        self.settings = settings
        self.health = HealthChecks(
            self.deps, settings.health_check_minutes * 60, settings.health_check_concurrency
        )
        self.signing = SignSubscriber(self.deps, settings.sign_concurrency)
        self._deps: VaultDeps | None = None
        self._nc: Client | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def deps(self) -> VaultDeps:
        if self._deps is None:
            raise VaultServiceError("the vault service is still starting")
        return self._deps

    async def start(self, nc: Client) -> None:
        """Build the dependencies and start following, checking and signing on ``nc``, the
        service's one NATS connection (its broker's, which closes it after :meth:`stop`)."""
        self._nc = nc
        spec = StreamSpec(name=self.settings.stream_name, prefix=self.settings.subject_prefix)
        self.store = EventStore(self._nc, spec)
        registry = domain_registry()
        auth = vault_auth(self.settings)
        http = VaultHttp(
            self.settings.vault_addr,
            auth,
            timeout_s=self.settings.vault_timeout_s,
            tls=self.settings.vault_tls(),
        )
        view = CredentialView(self.store, registry, self._nc.jetstream())
        self._deps = VaultDeps(
            Repository(self.store, registry, Credential),
            view,
            TransitKeeper(http),
            BingxProbe(self.settings.bingx_base_url),
            tuple(self.settings.egress_ips),
            demo_probe=BingxProbe(self.settings.bingx_demo_base_url),
            settings_log=self.store,
            connect_gate=ConnectGate(
                user_per_minute=self.settings.connect_user_per_minute,
                user_burst=self.settings.connect_user_burst,
                platform_per_minute=self.settings.connect_platform_per_minute,
                platform_burst=self.settings.connect_platform_burst,
            ),
        )
        prefix = spec.prefix
        self._tasks = [
            supervise("credential view", view.follow),
            supervise("health checks", self.health.run),
            supervise("health lease", lambda: self._hold_health_lease(prefix)),
            supervise("signature audit", self._audit_signatures),
            asyncio.create_task(self._fetch_wrapping_key()),  # once, best effort
        ]
        await self.signing.start(self._nc)

    async def _fetch_wrapping_key(self) -> None:
        """Ask Vault for its wrapping key now: OpenBao makes it on the first request (seconds
        on a busy box), better here than during a trader's first connect. Best effort: the
        first ``cmd.vault.wrapping_key`` asks again."""
        try:
            await self.deps().keeper.wrapping_key()
        except VaultServiceError as exc:
            get_logger().warning("could not fetch Vault's wrapping key yet", error=str(exc))

    async def view_probe(self) -> str | None:
        """Health: the credential view has read the log up to its end once."""
        if self._deps is None:
            return "starting"
        return None if self._deps.view.caught_up.is_set() else "reading credentials from the log"

    async def _hold_health_lease(self, prefix: str) -> None:
        assert self._nc is not None
        try:
            bucket = await self._nc.jetstream().key_value(LEASE_BUCKET)
        except NotFoundError:  # a single worker without the platform's lease bucket
            get_logger().warning("no lease bucket: this worker runs the health checks alone")
            await self._checks_on()
            await asyncio.Event().wait()  # for good
        lease = Lease(bucket, f"vault-health.{prefix}", self.settings.instance_id)
        self.health.fence = lease.check
        try:
            await hold(lease, self._checks_on, self._checks_off)
        finally:  # failed (NATS trouble): off until the restarted hold has the lease again
            await self._checks_off()

    async def _checks_on(self) -> None:
        get_logger().info("this worker runs the health checks", instance=self.settings.instance_id)
        self.health.active = True

    async def _checks_off(self) -> None:
        self.health.active = False

    async def _audit_signatures(self) -> None:
        while True:
            await asyncio.sleep(AUDIT_EVERY_S)
            await self.flush_signature_counts(force=False)

    async def flush_signature_counts(self, *, force: bool) -> None:
        """One ``SignaturesCounted`` event per user and finished hour (or now, forced)."""
        for hour, counts in self.deps().counter.drain(force=force):
            for user, count in counts.items():
                aggregate = AggregateRef(type=CREDENTIAL_AGGREGATE, id=AggregateId(user))
                event = SignaturesCounted(hour_start=hour, count=count)
                await self.store.append(aggregate, [wrap(event, aggregate)], expected_version=None)

    async def stop(self) -> None:
        await self.signing.stop()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            # let each reader's clean-up (its consumer unsubscribed and deleted) run while
            # the connection is open: left for the broker's drain, it held the stop 10 s
            await asyncio.wait(self._tasks, timeout=5)
        with contextlib.suppress(Exception):
            await self.flush_signature_counts(force=True)
        if self._deps is not None:
            await self._deps.keeper.close()
