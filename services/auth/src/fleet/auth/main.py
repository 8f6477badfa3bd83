"""Composition root of the auth service: ``create_app`` builds everything, ``run`` reads
settings and serves. Nothing is built at import time."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from faststream.asgi import AsgiFastStream
from nats.aio.client import Client
from sqlalchemy import Engine

from fleet.auth.accounts import AuthDeps
from fleet.auth.adapters.argon2_hasher import Argon2Hasher
from fleet.auth.adapters.clock import utc_now
from fleet.auth.adapters.personal_keys import PostgresPersonalData
from fleet.auth.domain.admin_roster import AdminRoster
from fleet.auth.domain.email_claim import EmailClaim
from fleet.auth.domain.invoice import PeriodInvoice
from fleet.auth.domain.login_policy import FailureLedger
from fleet.auth.domain.plan_catalog import PlanCatalog
from fleet.auth.domain.platform_settings import PlatformSettings
from fleet.auth.domain.refusal_tally import RefusalTally
from fleet.auth.domain.user import User
from fleet.auth.domain.username_claim import UsernameClaim
from fleet.auth.errors import Unavailable
from fleet.auth.log_budget import keep_watching
from fleet.auth.period_close import PeriodCloser, keep_closing
from fleet.auth.ports import Clock, PersonalData
from fleet.auth.refusal_log import keep_shredding, keep_writing
from fleet.auth.settings import AuthSettings
from fleet.auth.subscribers import register
from fleet.bus import ServiceRuntime, make_broker, serve
from fleet.bus.loops import supervise
from fleet.events.catalog import domain_registry
from fleet.eventstore import EventStore, Repository, StreamSpec
from fleet.eventstore.budget import UsageAlarm
from fleet.projections.engine import service_engine
from fleet.projections.meta import migrate

STOP_WORK_S = 3.0
NOTE = (
    "users, roles, passwords (argon2id), login throttling, viewer grants, "
    "trading settings, personal access tokens"
)


def _stream(settings: AuthSettings) -> StreamSpec:
    return StreamSpec(name=settings.stream_name, prefix=settings.subject_prefix)


def build_deps(
    settings: AuthSettings, nc: Client, personal: PersonalData, clock: Clock = utc_now
) -> AuthDeps:
    """The handlers' dependencies on the event stream ``settings`` name."""
    store = EventStore(nc, _stream(settings))
    registry = domain_registry()
    policy = settings.login_policy()
    hasher = Argon2Hasher(
        time_cost=settings.argon2_time_cost,
        memory_kib=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
        threads=settings.hash_threads,
    )
    return AuthDeps(
        users=Repository(store, registry, User),
        claims=Repository(store, registry, UsernameClaim),
        roster=Repository(store, registry, AdminRoster),
        platform=Repository(store, registry, PlatformSettings),
        plans=Repository(store, registry, PlanCatalog),
        emails=Repository(store, registry, EmailClaim),
        invoices=Repository(store, registry, PeriodInvoice),
        hasher=hasher,
        policy=policy,
        ledger=FailureLedger(policy),
        clock=clock,
        personal=personal,
        symbols=settings.trading_symbols,
        budget=settings.verification_budget(),
        tally=RefusalTally(alert_threshold=settings.login_alert_threshold),
        token_rules=settings.token_rules(),
    )


class AuthWorker:
    """Opens the event store's connection at startup and hands out the dependencies."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._deps: AuthDeps | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._engine: Engine | None = None

    def deps(self) -> AuthDeps:
        if self._deps is None:
            raise Unavailable("the auth service is still starting")
        return self._deps

    async def start(self, nc: Client) -> None:
        """Build the dependencies and start the background work on ``nc``, the service's
        one NATS connection (its broker's, which closes it after :meth:`stop`)."""
        self._engine = service_engine(self.settings.database_url, pool_size=4)
        await asyncio.to_thread(migrate, self._engine)  # fleet_meta.personal_keys
        personal = PostgresPersonalData(self._engine)
        self._deps = build_deps(self.settings, nc, personal)
        store = EventStore(nc, _stream(self.settings))
        settings = self.settings
        alarm = UsageAlarm(warn_ratio=settings.event_log_warn_ratio)
        tally, js, window = self._deps.tally, nc.jetstream(), settings.login_audit_window_s
        self._tasks = [
            supervise(
                "login audit",
                lambda: keep_writing(tally, store, personal, utc_now, window),
            ),
            supervise(
                "key shredding",
                lambda: keep_shredding(personal, utc_now, settings.personal_day_key_days),
            ),
            supervise(
                "log budget",
                lambda: keep_watching(js, store, alarm, utc_now, settings.event_log_check_s),
            ),
            supervise(
                "period close",
                lambda: keep_closing(
                    PeriodCloser(
                        store,
                        settings.period_scheme(),
                        utc_now,
                        settle=timedelta(seconds=settings.billing_settle_s),
                    ),
                    settings.billing_close_every_s,
                ),
            ),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._deps is not None:  # links asked for just before the stop are still made
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._deps.background.idle(), STOP_WORK_S)
        if self._deps is not None and isinstance(self._deps.hasher, Argon2Hasher):
            self._deps.hasher.close()
        if self._engine is not None:
            self._engine.dispose()


def create_app(settings: AuthSettings) -> AsgiFastStream:
    """Build the auth service: its NATS broker, subscribers and health endpoints."""
    broker = make_broker(settings)
    worker = AuthWorker(settings)
    register(broker, worker.deps)
    runtime = ServiceRuntime(settings, broker, note=NOTE)
    return runtime.run_worker(worker)


def run() -> None:
    """Entry point: read settings (one clear line on bad input), then serve."""
    serve(AuthSettings, create_app)
