"""What runs beside the request handlers: the dependencies (built at startup), periodic
health checks of every connected credential, and the hourly signature-count audit."""

from __future__ import annotations

import asyncio
import contextlib

import hvac
import nats
from nats.aio.client import Client

from fleet.events import AggregateId, AggregateRef, wrap
from fleet.events.catalog import domain_registry
from fleet.events.credentials import (
    CREDENTIAL_AGGREGATE,
    CredentialConnected,
    CredentialDisconnected,
    SignaturesCounted,
)
from fleet.events.vault_commands import VerifyCredential
from fleet.eventstore import EventStore, Repository, StreamSpec
from fleet.obs import get_logger
from fleet.vault import handlers
from fleet.vault.adapters.bingx_probe import BingxProbe
from fleet.vault.adapters.transit import TransitKeeper
from fleet.vault.domain.credential import Credential
from fleet.vault.errors import VaultServiceError
from fleet.vault.handlers import VaultDeps
from fleet.vault.settings import VaultSettings
from fleet.vault.signature_counter import SignatureCounter


class VaultWorker:
    def __init__(self, settings: VaultSettings) -> None:
        self.settings = settings
        self.counter = SignatureCounter()
        self.connected: set[str] = set()
        self._deps: VaultDeps | None = None
        self._nc: Client | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def deps(self) -> VaultDeps:
        if self._deps is None:
            raise VaultServiceError("the vault service is still starting")
        return self._deps

    async def start(self) -> None:
        self._nc = await nats.connect(self.settings.nats_url, max_reconnect_attempts=-1)
        spec = StreamSpec(name=self.settings.stream_name, prefix=self.settings.subject_prefix)
        self.store = EventStore(self._nc, spec)
        keeper = TransitKeeper(
            hvac.Client(url=self.settings.vault_addr, token=self.settings.token(), timeout=5)
        )
        self._deps = VaultDeps(
            Repository(self.store, domain_registry(), Credential),
            keeper,
            BingxProbe(self.settings.bingx_base_url),
            tuple(self.settings.egress_ips),
        )
        self._tasks = [
            asyncio.create_task(self._follow_credentials()),
            asyncio.create_task(self._health_checks()),
            asyncio.create_task(self._audit_signatures()),
        ]

    async def _follow_credentials(self) -> None:
        registry = domain_registry()
        async for stored in self.store.subscribe(
            subject=f"{self.store.spec.prefix}.{CREDENTIAL_AGGREGATE}.*"
        ):
            event = registry.decode(stored.envelope)
            user = stored.envelope.aggregate.id
            if isinstance(event, CredentialConnected):
                self.connected.add(user)
            elif isinstance(event, CredentialDisconnected):
                self.connected.discard(user)

    async def _health_checks(self) -> None:
        while True:
            await asyncio.sleep(self.settings.health_check_minutes * 60)
            for user in sorted(self.connected):
                try:
                    await handlers.verify(VerifyCredential(user_id=user), self.deps())
                except VaultServiceError as exc:  # fail closed; retried next round
                    get_logger().warning("health check failed", user=user, reason=str(exc))

    async def _audit_signatures(self) -> None:
        while True:
            await asyncio.sleep(60)
            await self.flush_signature_counts(force=False)

    async def flush_signature_counts(self, *, force: bool) -> None:
        """One ``SignaturesCounted`` event per user for the finished hour (or now, forced)."""
        drained = self.counter.drain(force=force)
        if drained is None:
            return
        hour, counts = drained
        for user, count in counts.items():
            aggregate = AggregateRef(type=CREDENTIAL_AGGREGATE, id=AggregateId(user))
            event = SignaturesCounted(hour_start=hour, count=count)
            await self.store.append(aggregate, [wrap(event, aggregate)], expected_version=None)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        with contextlib.suppress(Exception):
            await self.flush_signature_counts(force=True)
        if self._nc is not None:
            await self._nc.close()
