"""The live loop: market data in once, candles out, signals into the event log.

A candle is closed by the first push of a later one, or by the clock (BingX's, measured
over REST) once ``open + interval + grace`` has passed without one — the candle after the
last closed one too, when nothing of it was pushed (a market nobody trades, a socket
down); either way its values are read back from REST klines before a signal is computed
from it (BingX sends no final push: the last push may predate the candle's last trades)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from fleet.bingx import BingxClient
from fleet.bingx.errors import BingxError
from fleet.bingx.models import Kline
from fleet.bingx.ratelimit import TokenBucket
from fleet.bingx.ws import SUBSCRIBES_PER_S, MarketStream
from fleet.bus.lease import LeaseLost
from fleet.events import AggregateId, AggregateRef, EventId, wrap
from fleet.events.directory import Stream
from fleet.events.signals import SIGNAL_AGGREGATE, SignalGenerated, signal_stream_id
from fleet.events.timeframes import interval_ms
from fleet.eventstore import EventStore
from fleet.obs import correlated, count_unexpected, get_logger
from fleet.strategy.domain.candles import Candle, CandleAssembler
from fleet.strategy.domain.chart import ChartWindow
from fleet.strategy.domain.signals import SignalEngine

HISTORY = 300
BACKFILL_LIMIT = 1440  # BingX's maximum per request
TOPICS_PER_SOCKET = 200  # BingX: more topics on one connection are refused (80403)
CLOSE_GRACE_MS = 3_000  # after open + interval, a candle with no later push closes by clock
CLOCK_CHECK_S = 1.0
CLOCK_RETRY_S = 5.0  # a candle due that REST does not show closed yet is asked again after
DOWN_GRACE_S = 2.0  # a reconnect shorter than this is not reported as an outage
STALE_INTERVALS = 2  # no candle closed for this many intervals: degraded
LATENCY = Histogram("strategy_close_to_signal_seconds", "Candle close to signal appended")
RECONNECTS = Counter("strategy_ws_reconnects_total", "Market WebSocket reconnects")
BACKFILLED = Counter("strategy_backfilled_candles_total", "Closed candles fetched over REST")
ACTIVE = Gauge("strategy_active_streams", "(symbol, timeframe) streams subscribed")
CLOSED_BY_CLOCK = Counter("strategy_closed_by_clock_total", "Candles closed with no later push")
PUBLISH_FAILED = Counter("strategy_candle_publish_failures_total", "Candles not published")
UNVERIFIED = Counter("strategy_unverified_candles_total", "Closed candles REST did not show")
FENCED = Counter(
    "strategy_signals_fenced_total", "Signals not appended: the strategy lease was no longer ours"
)
CandleSink = Callable[[Stream, Candle], Any]
ChartSink = Callable[[Stream, bytes], Any]
FORMING_PUBLISH_S = 1.0  # the forming candle reaches the charts at most this often


@dataclass
class Tracked:
    assembler: CandleAssembler
    engine: SignalEngine
    chart: ChartWindow = field(default_factory=ChartWindow)
    chart_published_at: float = 0.0


class LiveStrategy:
    """One connection set for every user: subscribe what the demand needs, close candles,
    backfill gaps, publish candles and signals."""

    def __init__(
        self,
        store: EventStore,
        rest: BingxClient,
        ws_url: str,
        publish_candle: CandleSink | None = None,
        *,
        market_clock: Callable[[], int] | None = None,
        clock_check_s: float = CLOCK_CHECK_S,
    ) -> None:
        """``market_clock``: the market's time in epoch ms (default: BingX's, the REST
        transport's server clock synced from ``/server/time``); ``clock_check_s``: how
        often candles due by the clock are looked for."""
        self.store = store
        self.rest = rest
        self._market_clock = market_clock
        self._clock_check_s = clock_check_s
        self.closed_by_clock = 0
        self._retry_at: dict[Stream, float] = {}  # monotonic: no clock close before
        self._ws_url = ws_url
        self._pace = TokenBucket(SUBSCRIBES_PER_S, 1.0)  # one address: its sockets share it
        # BingX refuses a 201st topic on one connection (80403): more sockets as needed
        self.streams = [self._new_stream()]
        self._added = asyncio.Event()  # a socket joined: ``run_streams`` starts it
        self.tracked: dict[Stream, Tracked] = {}
        self._publish_candle = publish_candle
        self.publish_chart: ChartSink | None = None  # the charts' side channel, when wired
        # the strategy lease's check (Lease.confirm), when wired: raises LeaseLost when this
        # instance is no longer the active one (it was paused past its lease)
        self.fence: Callable[[], Awaitable[object]] | None = None
        self._lock = asyncio.Lock()
        self.last_close_at = time.monotonic()  # when a candle last closed (wall clock)

    def _new_stream(self) -> MarketStream:
        return MarketStream(self._ws_url, self._on_message, on_gap=self._on_gap, pace=self._pace)

    @property
    def stream(self) -> MarketStream:
        """The first market socket (the only one up to 200 topics)."""
        return self.streams[0]

    async def run_streams(self) -> None:
        """Run every market socket until they are closed; sockets added meanwhile too."""
        running: dict[int, asyncio.Task[None]] = {}
        try:
            while True:
                for n, stream in enumerate(self.streams):
                    if n not in running:
                        running[n] = asyncio.create_task(stream.run())
                self._added.clear()
                added = asyncio.create_task(self._added.wait())
                await asyncio.wait([added, *running.values()], return_when="FIRST_COMPLETED")
                added.cancel()
                if all(task.done() for task in running.values()):
                    for task in running.values():
                        task.result()  # a failure ends this too (supervised: restarted)
                    return
        finally:
            for task in running.values():
                task.cancel()

    async def close_streams(self) -> None:
        for stream in self.streams:
            await stream.close()

    def problem(self) -> str | None:
        """Why market data is degraded (the stream down, no candle closed for two
        intervals of the shortest timeframe), or ``None``."""
        now = time.monotonic()
        downs = [s.down_since for s in self.streams if s.down_since is not None]
        down = min(downs) if downs else None
        if self.tracked and down is not None and now - down > DOWN_GRACE_S:
            return f"market stream down for {now - down:.0f} s"
        if self.tracked:
            interval_s = min(interval_ms(timeframe) for _, timeframe in self.tracked) / 1000
            if now - self.last_close_at > STALE_INTERVALS * interval_s:
                return f"no candle closed for {now - self.last_close_at:.0f} s"
        return None

    async def close_by_clock(self) -> None:
        """Forever: close candles whose time is over and that no later push closed."""
        while True:
            await asyncio.sleep(self._clock_check_s)
            try:
                await self._close_due()
            except Exception as exc:  # a REST failure waits for the next round
                count_unexpected("strategy.close_due")
                get_logger().warning("closing candles by the clock failed", error=str(exc))

    async def _now_ms(self) -> int:
        if self._market_clock is not None:
            return self._market_clock()
        transport = self.rest.transport
        if transport.server_clock.stale:
            await transport.sync_clock(seen=transport.server_clock.syncs)
        return transport.now_ms()

    async def _close_due(self) -> None:
        now_ms = await self._now_ms()
        async with self._lock:
            for stream, tracked in list(self.tracked.items()):
                due = tracked.assembler.due_ms(CLOSE_GRACE_MS)
                if due is None or now_ms < due or self._retry_at.get(stream, 0) > time.monotonic():
                    continue
                before = tracked.assembler.last_closed_ms
                await self._backfill(stream, tracked)
                if tracked.assembler.last_closed_ms != before:
                    self.closed_by_clock += 1
                    CLOSED_BY_CLOCK.inc()
                else:  # REST does not show it closed yet: not asked again every second
                    self._retry_at[stream] = time.monotonic() + CLOCK_RETRY_S

    async def want(self, streams: set[Stream]) -> None:
        """Track exactly ``streams`` (subscribe new ones, drop the rest). A stream whose
        start failed (REST history unavailable) is not kept as tracked: the next call
        starts it again (it was silently left unsubscribed)."""
        for stream in sorted(streams - set(self.tracked)):
            try:
                await self._track(stream)
            except BaseException:
                self.tracked.pop(stream, None)
                raise
        for stream in sorted(set(self.tracked) - streams):
            for socket in self.streams:
                await socket.unsubscribe(_topic(stream))
            del self.tracked[stream]
        ACTIVE.set(len(self.tracked))

    async def _track(self, stream: Stream) -> None:
        symbol, timeframe = stream
        last = await self.store.last(_aggregate(stream))
        resume_after = last.data["candle_open_ms"] if last is not None else None
        tracked = Tracked(CandleAssembler(interval_ms(timeframe)), SignalEngine(symbol, timeframe))
        self.tracked[stream] = tracked
        history = await self._closed_history(stream, None)
        for candle in history:  # warm-up; publish only what comes after the last signal
            if resume_after is None or candle.open_ms <= resume_after:
                tracked.engine.close(candle)
                tracked.chart.close(candle, tracked.engine.previous)
                tracked.assembler.last_closed_ms = candle.open_ms
            else:
                await self._closed(stream, tracked, candle)
        await self._chart(stream, tracked)
        await self._socket_for().subscribe(_topic(stream))

    def _socket_for(self) -> MarketStream:
        """The first market socket with room for one more topic (a new one if none)."""
        for stream in self.streams:
            if len(stream.topics) < TOPICS_PER_SOCKET:
                return stream
        self.streams.append(self._new_stream())
        self._added.set()
        return self.streams[-1]

    async def _closed_history(self, stream: Stream, after_ms: int | None) -> list[Candle]:
        """Closed candles from REST: every one but the newest, which is still forming (a
        candle is closed once the next one opens - no clock comparison, so a simulator
        whose market runs faster than the wall clock is handled like BingX)."""
        symbol, timeframe = stream
        start = after_ms + interval_ms(timeframe) if after_ms is not None else None
        klines = await self.rest.klines(
            symbol, timeframe, start_ms=start, limit=BACKFILL_LIMIT if start else HISTORY
        )
        return [_candle(k) for k in klines[:-1]]

    async def _on_message(self, message: dict[str, Any]) -> None:
        topic = str(message.get("dataType", ""))
        symbol, _, kind = topic.partition("@")
        stream = (symbol, kind.removeprefix("kline_"))
        tracked = self.tracked.get(stream)
        if tracked is None:
            return
        for raw in message.get("data") or []:
            push = Candle(
                int(raw["T"]),
                float(raw["o"]),
                float(raw["h"]),
                float(raw["l"]),
                float(raw["c"]),
                float(raw["v"]),
            )
            async with self._lock:
                if tracked.assembler.gap_after(push.open_ms):
                    await self._backfill(stream, tracked)
                closed = tracked.assembler.push(push)
                for candle in closed:
                    await self._closed(stream, tracked, await self._verified(stream, candle))
                await self._forming(stream, tracked, new_candle=bool(closed))

    async def _on_gap(self, _since_ms: int) -> None:
        RECONNECTS.inc()
        async with self._lock:
            for stream, tracked in list(self.tracked.items()):
                await self._backfill(stream, tracked)

    async def _verified(self, stream: Stream, candle: Candle) -> Candle:
        """The closed candle as REST has it (the pushed values if REST does not show it)."""
        symbol, timeframe = stream
        try:
            klines = await self.rest.klines(symbol, timeframe, start_ms=candle.open_ms, limit=2)
        except BingxError as exc:
            get_logger().warning("closed candle not checked over REST", error=str(exc))
            klines = []
        for k in klines:
            if k.open_time_ms == candle.open_ms:
                return _candle(k)
        UNVERIFIED.inc()
        return candle

    async def _backfill(self, stream: Stream, tracked: Tracked) -> None:
        missing = await self._closed_history(stream, tracked.assembler.last_closed_ms)
        for candle in missing:
            if tracked.assembler.last_closed_ms is None or (
                candle.open_ms > tracked.assembler.last_closed_ms
            ):
                BACKFILLED.inc()
                tracked.assembler.last_closed_ms = candle.open_ms
                await self._closed(stream, tracked, candle)
        assembler = tracked.assembler
        if (
            assembler.forming is not None
            and assembler.last_closed_ms is not None
            and (assembler.forming.open_ms <= assembler.last_closed_ms)
        ):
            assembler.forming = None  # the REST backfill already closed it

    async def _closed(self, stream: Stream, tracked: Tracked, candle: Candle) -> None:
        self.last_close_at = time.monotonic()
        if self._publish_candle is not None:
            try:  # the candle feed is a side channel: its failure must not cost the signal
                await self._publish_candle(stream, candle)
            except Exception as exc:
                count_unexpected("strategy.candle_publish")
                PUBLISH_FAILED.inc()
                get_logger().warning("candle not published", stream=stream, error=str(exc))
        produced = tracked.engine.close(candle)
        tracked.chart.close(candle, tracked.engine.previous)
        await self._chart(stream, tracked)
        if produced is None:
            return
        ident, event = produced
        await self._append(stream, ident, event)
        LATENCY.observe(max(0.0, time.time() - (candle.open_ms + interval_ms(stream[1])) / 1000))

    async def _forming(self, stream: Stream, tracked: Tracked, *, new_candle: bool) -> None:
        """The forming candle to the charts: a new one at once, its moves at most once a
        second."""
        due = time.monotonic() - tracked.chart_published_at >= FORMING_PUBLISH_S
        if tracked.chart.form(tracked.assembler.forming) and (new_candle or due):
            await self._chart(stream, tracked)

    async def _chart(self, stream: Stream, tracked: Tracked) -> None:
        """Store the stream's chart window (a side channel like the candle feed: its
        failure costs no signal)."""
        if self.publish_chart is None:
            return
        tracked.chart_published_at = time.monotonic()
        try:
            await self.publish_chart(stream, tracked.chart.to_json())
        except Exception as exc:
            count_unexpected("strategy.chart_publish")
            get_logger().warning("chart window not stored", stream=stream, error=str(exc))

    async def _append(self, stream: Stream, ident: str, event: SignalGenerated) -> None:
        aggregate = _aggregate(stream)
        envelope = wrap(event, aggregate, event_id=EventId(ident))
        if self.fence is not None:
            try:
                await self.fence()
            except LeaseLost as exc:  # a former owner resumed: the active one signals
                FENCED.inc()
                get_logger().warning("signal not appended", stream=stream, why=str(exc))
                return
        with correlated(ident):  # the signal's id: its correlation id downstream
            await self.store.append(aggregate, [envelope], expected_version=None)
            get_logger().info(
                "signal appended", symbol=event.symbol, timeframe=event.timeframe, cross=event.cross
            )


def _candle(kline: Kline) -> Candle:
    return Candle(
        kline.open_time_ms,
        float(kline.open),
        float(kline.high),
        float(kline.low),
        float(kline.close),
        float(kline.volume),
    )


def _topic(stream: Stream) -> str:
    return f"{stream[0]}@kline_{stream[1]}"


def _aggregate(stream: Stream) -> AggregateRef:
    return AggregateRef(type=SIGNAL_AGGREGATE, id=AggregateId(signal_stream_id(*stream)))
