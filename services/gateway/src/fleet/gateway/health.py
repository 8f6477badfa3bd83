"""Readiness of the gateway: NATS, the event stream, PostgreSQL, the read models, its
supervised background loops."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from nats.aio.client import Client
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from fleet.bus.loops import LOOPS
from fleet.eventstore import StreamSpec
from fleet.eventstore.errors import NATS_TROUBLE
from fleet.eventstore.stream import verify_stream
from fleet.gateway.read_models.runners import ReadModels

NOTE = "HTTP API, admin API, read models (users, credentials, bots, trading, audit)"


# a schema not created yet, a rebuild swapping tables, the log unreachable
_LAG_UNKNOWN: tuple[type[Exception], ...] = (SQLAlchemyError, *NATS_TROUBLE)


async def _nats(nc: Client, spec: StreamSpec) -> str | None:
    if not nc.is_connected:
        return "not connected to NATS"
    try:
        verify_stream(await nc.jetstream().stream_info(spec.name), spec)
    except NATS_TROUBLE as exc:
        return f"event stream {spec.name}: {exc}"
    return None


async def _postgres(engine: Engine) -> str | None:
    def ping() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    try:
        await asyncio.to_thread(ping)
    except (SQLAlchemyError, OSError) as exc:
        return f"PostgreSQL unreachable: {type(exc).__name__}"
    return None


async def health(
    nc: Client, spec: StreamSpec, engine: Engine, read_models: ReadModels
) -> tuple[bool, dict[str, Any]]:
    """``(healthy, body)``: every check, and how far behind the log each read model is."""
    checks = {"nats": await _nats(nc, spec), "postgres": await _postgres(engine)}
    checks["loops"] = await LOOPS.probe()  # a required background loop waiting to restart
    for name, failure in read_models.failures.items():
        checks[f"read_model.{name}"] = failure
    body: dict[str, Any] = {
        "service": "gateway",
        "checks": {name: reason or "ok" for name, reason in checks.items()},
        "note": NOTE,
        # this process applies events to these (one runner per read model: a lease)
        "read_models_led_here": sorted(read_models.leading),
    }
    if checks["nats"] is None:
        # messages readers passed over (not valid events): never fatal, always visible;
        # `fleet events quarantine` lists them
        quarantined = await read_models.store.quarantine.list(spec.name)
        body["quarantine"] = {
            "messages": len(quarantined),
            "last": asdict(quarantined[-1]) if quarantined else None,
        }
    if checks["nats"] is None and checks["postgres"] is None:
        try:
            body["read_model_lag"] = await read_models.lag()
        except _LAG_UNKNOWN as exc:
            body["read_model_lag"] = {"error": type(exc).__name__}
    healthy = all(reason is None for reason in checks.values())
    body["status"] = "ok" if healthy else "fail"
    return healthy, body


Report = tuple[bool, dict[str, Any]]


class CachedHealth:
    """The last report for ``ttl`` seconds, computed once for every concurrent caller, so
    a burst of probes (a load balancer, a benchmark) costs one round of checks."""

    def __init__(self, compute: Callable[[], Awaitable[Report]], ttl: float = 1.0) -> None:
        self._compute = compute
        self._ttl = ttl
        self._report: Report | None = None
        self._at = 0.0
        self._pending: asyncio.Future[Report] | None = None

    async def report(self) -> Report:
        """A report at most ``ttl`` seconds old."""
        if self._report is not None and time.monotonic() - self._at < self._ttl:
            return self._report
        if self._pending is None:
            self._pending = asyncio.ensure_future(self._refresh())
        return await asyncio.shield(self._pending)

    async def _refresh(self) -> Report:
        try:
            self._report = await self._compute()
            self._at = time.monotonic()
            return self._report
        finally:
            self._pending = None
