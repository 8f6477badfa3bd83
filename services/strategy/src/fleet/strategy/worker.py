"""The strategy process: follow the log for demand, hold the lease, run the live loop
only while active (a standby waits and takes over when the lease expires).

The live loop is supervised: its market stream and its clock-driven candle closer are
restarted with back-off if they ever end, and :meth:`StrategyWorker.market_probe` fails
the health check while the stream is down or no candle has closed for two intervals."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Coroutine
from typing import Any

from nats.aio.client import Client
from nats.js.kv import KeyValue

from fleet.bingx import BingxClient, Transport
from fleet.bus.lease import LEASE_BUCKET, Lease, hold
from fleet.bus.loops import supervise
from fleet.events.bots import BOT_AGGREGATE
from fleet.events.directory import Directory, Stream
from fleet.events.subjects import aggregate_type_subject
from fleet.events.users import USER_AGGREGATE
from fleet.eventstore import EventStore, StreamSpec
from fleet.eventstore.stream import CHARTS_BUCKET, MARKET_PREFIX, chart_key
from fleet.obs import get_logger
from fleet.strategy.domain.candles import Candle
from fleet.strategy.live import LiveStrategy
from fleet.strategy.settings import StrategySettings

DEMAND_TYPES = {"bot.started", "bot.stopped", "user.trading_settings_changed"}
DEMAND_AGGREGATES = (BOT_AGGREGATE, USER_AGGREGATE)  # the aggregates DEMAND_TYPES belong to


class StrategyWorker:
    def __init__(self, settings: StrategySettings) -> None:
        self.settings = settings
        self.demand = Directory()  # its streams: the union over running bots' settings
        self.active = False
        self._nc: Client | None = None
        self._live: LiveStrategy | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._live_tasks: list[asyncio.Task[None]] = []
        self._lease: Lease | None = None
        self._charts: KeyValue | None = None
        self._alerted = False

    async def market_probe(self) -> str | None:
        """``None`` while market data flows (or this instance stands by), else why not."""
        live = self._live
        if not self.active or live is None:
            return None
        problem = live.problem()
        if problem is not None and not self._alerted:
            get_logger().error("market data degraded", problem=problem)
        self._alerted = problem is not None
        return problem

    def _supervise(
        self, name: str, run: Callable[[], Coroutine[Any, Any, None]]
    ) -> asyncio.Task[None]:
        """Run ``run`` while this instance is active: restarted with back-off whenever it
        ends or fails (:mod:`fleet.bus.loops`)."""
        return supervise(name, run, until=lambda: not self.active)

    async def start(self, nc: Client) -> None:
        """Follow the demand and contend for the lease on ``nc``, the service's one NATS
        connection (its broker's, which closes it after :meth:`stop`)."""
        self._nc = nc
        spec = StreamSpec(name=self.settings.stream_name, prefix=self.settings.subject_prefix)
        self.store = EventStore(self._nc, spec)
        self.rest = BingxClient(Transport(self.settings.bingx_base_url, None))
        kv = await self._nc.jetstream().key_value(LEASE_BUCKET)
        self._lease = Lease(kv, "strategy", self.settings.instance_id)
        self._tasks = [
            supervise("demand follower", self._follow_demand),
            supervise("strategy lease", self._hold_lease),
        ]

    async def _hold_lease(self) -> None:
        """Contend for the lease; if holding it fails (NATS trouble), stand by before the
        supervisor restarts it, so a restart never runs two live strategies here."""
        assert self._lease is not None
        try:
            await hold(self._lease, self._activate, self._stand_by)
        finally:
            if self.active:
                await self._stand_by()

    async def _follow_demand(self) -> None:
        """Fold the demand from the log and apply it once caught up with each burst of
        changes. The demand is derived from the bots' and users' state, never from one
        delivery: a failure to apply it (REST history unavailable) fails this loop, which
        the supervisor restarts with back-off (counted, /readyz failing meanwhile); the
        restart folds the demand afresh and applies it again, so no change is lost."""
        self.demand = Directory()  # (re)read from the start: a restart folds it afresh
        changed = True
        # only bots and users carry demand: never every event of the log (issue 22)
        subjects = [aggregate_type_subject(self.store.spec.prefix, t) for t in DEMAND_AGGREGATES]
        async for stored in self.store.subscribe(subjects=subjects, from_sequence=1):
            envelope = stored.envelope
            if envelope.type in DEMAND_TYPES:
                self.demand.apply(envelope.aggregate.id, stored.event)
                changed = True
            if changed and stored.pending == 0 and self.active and self._live is not None:
                await self._live.want(self.demand.streams)
                changed = False

    async def _activate(self) -> None:
        get_logger().info("strategy active", instance=self.settings.instance_id)
        self.active = True
        self._live = LiveStrategy(
            self.store,
            self.rest,
            self.settings.market_ws_url,
            publish_candle=self._publish_candle,
        )
        live = self._live
        live.publish_chart = self._publish_chart
        assert self._lease is not None
        live.fence = self._lease.confirm
        self._live_tasks = [
            self._supervise("market stream", live.run_streams),
            self._supervise("candle closer", live.close_by_clock),
        ]
        await live.want(self.demand.streams)

    async def _stand_by(self) -> None:
        get_logger().warning("strategy lost the lease; standing by")
        self.active = False
        if self._live is not None:
            await self._live.close_streams()
        for task in self._live_tasks:
            task.cancel()
        self._live = None

    async def _publish_candle(self, stream: Stream, candle: Candle) -> None:
        assert self._nc is not None
        symbol, timeframe = stream
        body = json.dumps(candle.__dict__).encode()
        await self._nc.jetstream().publish(
            f"{MARKET_PREFIX}.candle.{symbol}.{timeframe}",
            body,
            headers={"Nats-Msg-Id": f"{symbol}:{timeframe}:{candle.open_ms}"},
        )

    async def _publish_chart(self, stream: Stream, window: bytes) -> None:
        """The stream's chart window into the charts bucket (key ``<symbol>.<timeframe>``)."""
        assert self._nc is not None
        symbol, timeframe = stream
        if self._charts is None:
            self._charts = await self._nc.jetstream().key_value(CHARTS_BUCKET)
        await self._charts.put(chart_key(symbol, timeframe), window)

    async def stop(self) -> None:
        self.active = False
        for task in [*self._tasks, *self._live_tasks]:
            task.cancel()
        if self._live is not None:
            await self._live.close_streams()
        if self._lease is not None:
            await self._lease.release()
        with contextlib.suppress(Exception):
            await self.rest.close()
