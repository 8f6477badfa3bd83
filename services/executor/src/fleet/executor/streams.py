"""BingX user-data streams: one per running trader this process owns, within BingX's
socket limits.

BingX allows about 60 WebSocket connections per address, and a user-data stream is one
socket per listenKey (API.md §6.2: the key is in the URL, nothing is subscribed, so one
socket cannot carry several accounts). Each egress identity therefore streams at most
``per_egress`` traders (54 by default: 55 sockets, one left for a market stream), each
socket leaving from its identity's address; the other traders rely on polling. A refused
handshake (too many sockets) is retried with back-off and never costs a new listenKey.

The stream is where the fills of Fleet's own orders arrive first: each
``ORDER_TRADE_UPDATE`` of a Fleet order goes to ``fills.on_report`` (recorded once,
whichever of stream and query reports it), each ``ACCOUNT_UPDATE`` with reason
``FUNDING_FEE`` to ``fills.on_funding``, each with reason ``DEPOSIT`` / ``WITHDRAW``
marks the transfers due (``fills.transfer_due``) for the reconcile it wakes. Anything
else that happened on the account that Fleet did not do itself — a stop-loss fired, a
trade placed by hand in BingX's app, a deposit, a liquidation — reconciles that trader
at once (REST positions and balance, as the periodic poll does), instead of at the next
poll. After a reconnect the trader is reconciled too (what happened while the socket was
down is unknown; the reconcile asks for the live orders' fills first). Traders beyond
``limit`` rely on polling alone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from fleet.bingx.ws import UserStream
from fleet.events.credentials import BingxEnvironment
from fleet.events.trading import FundingPaid
from fleet.executor.adapters.bingx_account import (
    stream_funding,
    stream_report,
    stream_transfer,
)
from fleet.executor.domain.ids import is_fleet_order
from fleet.executor.metrics import USER_STREAM_WAKEUPS, USER_STREAMS
from fleet.executor.ports import OrderReport, OutcomeUnknown, StreamExpired
from fleet.executor.traders import Trader
from fleet.obs import count_unexpected, get_logger

SYNC_EVERY_S = 2.0
CLOSING_AT_ONCE = 500
OPENING_AT_ONCE = 16
DEBOUNCE_S = 0.3
KEEP_ALIVE_S = 1800.0  # BingX: a listenKey lives 60 min; extend every 30
# More reconnects than this between two syncs: the listenKey is likely dead (deleted by a
# previous owner, or lapsed) — open a fresh one.
MAX_RECONNECTS = 1


def wakes(message: dict[str, Any]) -> bool:
    """Whether a user-data event says something Fleet did not record from it itself (a
    stop-loss, a hand trade, a deposit): that trader is reconciled."""
    kind = message.get("e")
    if kind == "ORDER_TRADE_UPDATE":
        order = message.get("o") or {}
        ours = order.get("o") == "MARKET" and is_fleet_order(str(order.get("c", "")))
        return not ours and order.get("X") in ("FILLED", "PARTIALLY_FILLED")
    if kind == "ACCOUNT_UPDATE":  # an order's own move comes with its ORDER_TRADE_UPDATE
        return (message.get("a") or {}).get("m") != "ORDER"
    return False


class FillSink(Protocol):
    """Where a stream's fills and funding fees are recorded (the execution)."""

    async def on_report(self, trader: Trader, report: OrderReport) -> None: ...

    async def on_funding(self, trader: Trader, paid: list[FundingPaid]) -> None: ...

    def transfer_due(self, user_id: str) -> None: ...


def fleet_report(message: dict[str, Any]) -> OrderReport | None:
    """The progress report of one of Fleet's own orders, if ``message`` is one."""
    report = stream_report(message)
    if report is None or not is_fleet_order(report.client_order_id):
        return None
    return report


def accepted_only(report: OrderReport) -> bool:
    """Whether ``report`` only says BingX took the order (``NEW``, nothing filled): every
    order of Fleet's gets one, before its fill, and it changes nothing recorded (handing it
    to the sink cost a task, the trader's lock and a save per order)."""
    return report.status == "NEW" and report.cumulative_quantity == 0


@dataclass
class _Open:
    trader: Trader
    stream: UserStream
    task: asyncio.Task[None]
    expired: bool = False
    reconnects_seen: int = 0
    wake: asyncio.Task[None] | None = field(default=None)


class UserStreams:
    """Keeps the streams in line with the traders owned and running, every few seconds."""

    def __init__(  # noqa: PLR0913 - the streams' wiring: each one an independent part
        self,
        ws_url: str | Mapping[BingxEnvironment, str],
        traders: Callable[[], dict[str, Trader]],
        reconcile: Callable[[Trader], Awaitable[None]],
        limit: int,
        *,
        per_egress: int = 54,
        address_of: Callable[[str], str | None] = lambda _name: None,
        fills: FillSink | None = None,
    ) -> None:
        # one URL, or one per BingX environment (live, demo): a trader streams from his own
        self._ws_url = ws_url
        self._traders = traders
        self._reconcile = reconcile
        self._limit = limit
        self._per_egress = per_egress
        self._address_of = address_of
        self._open: dict[str, _Open] = {}
        self._warned = False
        self._fills = fills
        self._recording: set[asyncio.Task[None]] = set()

    def wanted(self) -> dict[str, Trader]:
        """The running traders that get a stream: by user id, at most ``per_egress`` per
        egress identity and ``limit`` in all (those streaming already keep theirs)."""
        running = sorted(
            ((u, t) for u, t in self._traders().items() if t.view.running),
            key=lambda item: (item[0] not in self._open, item[0]),
        )
        chosen: dict[str, Trader] = {}
        per_identity: dict[str, int] = {}
        for user_id, trader in running:
            if len(chosen) >= self._limit:
                break
            if per_identity.get(trader.egress, 0) < self._per_egress:
                per_identity[trader.egress] = per_identity.get(trader.egress, 0) + 1
                chosen[user_id] = trader
        if len(chosen) < len(running) and not self._warned:
            self._warned = True
            get_logger().warning(
                "more running traders than user-data streams; the rest rely on polling",
                traders=len(running),
                streams=len(chosen),
                per_egress=self._per_egress,
            )
        return chosen

    async def run(self) -> None:
        """Open and close streams as traders come and go, until cancelled."""
        try:
            while True:
                await self.sync()
                await asyncio.sleep(SYNC_EVERY_S)
        finally:
            await self.close_all()

    async def sync(self) -> None:
        wanted = self.wanted()
        for user_id, opened in list(self._open.items()):
            # Reconnects after a refused handshake say nothing about the key: not counted.
            dropped = opened.stream.reconnects - opened.stream.refused_handshakes
            failing = dropped - opened.reconnects_seen > MAX_RECONNECTS
            opened.reconnects_seen = dropped
            if wanted.get(user_id) is not opened.trader or opened.expired or failing:
                await self._close(user_id)
        missing = [t for u, t in wanted.items() if u not in self._open]
        for start in range(0, len(missing), OPENING_AT_ONCE):
            await asyncio.gather(
                *(self._start(t) for t in missing[start : start + OPENING_AT_ONCE])
            )
        USER_STREAMS.set(len(self._open))

    async def _start(self, trader: Trader) -> None:
        try:
            listen_key = await trader.exchange.open_stream()
        except OutcomeUnknown as exc:  # the next sync tries again
            get_logger().info("user-data stream not opened", user=trader.user_id, error=str(exc))
            return
        user_id = trader.user_id

        async def keep_alive(key: str) -> None:
            try:
                await trader.exchange.keep_stream(key)
            except StreamExpired:  # BingX forgot the key: a fresh one at the next sync
                self._open[user_id].expired = True

        async def on_message(message: dict[str, Any]) -> None:
            if message.get("e") == "listenKeyExpired":
                self._open[user_id].expired = True  # closed and opened afresh at the next sync
            elif not self._recorded(trader, message) and wakes(message):
                self.wake(user_id)

        async def on_gap(_last_ms: int) -> None:
            self.wake(user_id)

        url = self._ws_url
        stream = UserStream(
            url if isinstance(url, str) else url.get(trader.environment, url["live"]),
            listen_key,
            on_message,
            keep_alive,
            keep_alive_s=KEEP_ALIVE_S,
            on_gap=on_gap,
            source_address=self._address_of(trader.egress),
        )
        self._open[user_id] = _Open(trader, stream, asyncio.create_task(stream.run()))

    def _recorded(self, trader: Trader, message: dict[str, Any]) -> bool:
        """Hand a Fleet order's update or a funding fee to the sink (in the background:
        the socket keeps reading; the trader's lock keeps the order)."""
        if self._fills is None:
            return False
        report = fleet_report(message)
        funding = stream_funding(message)
        if report is not None and accepted_only(report):
            return True  # nothing to record: the order's own answer recorded the acceptance
        if report is not None:
            work = self._fills.on_report(trader, report)
        elif funding:
            work = self._fills.on_funding(trader, funding)
        elif stream_transfer(message):
            # read from the income history by the reconcile this wakes (the balance moved)
            self._fills.transfer_due(trader.user_id)
            return False
        else:
            return False
        self._in_background(work, trader)
        return True

    def _in_background(self, work: Awaitable[None], trader: Trader) -> None:
        task = asyncio.create_task(self._safely(work, trader))
        self._recording.add(task)
        task.add_done_callback(self._recording.discard)

    async def _safely(self, work: Awaitable[None], trader: Trader) -> None:
        try:
            await work
        except Exception:  # the follow-up and the poll ask by query
            count_unexpected("executor.stream_fill")
            get_logger().exception("stream fill not recorded", user=trader.user_id)

    def wake(self, user_id: str) -> None:
        """Reconcile the user soon; wake-ups within ``DEBOUNCE_S`` share one reconcile."""
        opened = self._open.get(user_id)
        if opened is None or (opened.wake is not None and not opened.wake.done()):
            return
        USER_STREAM_WAKEUPS.inc()
        opened.wake = asyncio.create_task(self._reconcile_soon(opened.trader))

    async def _reconcile_soon(self, trader: Trader) -> None:
        await asyncio.sleep(DEBOUNCE_S)
        try:
            await self._reconcile(trader)
        except Exception:  # the poll tries again
            count_unexpected("executor.stream_reconcile")
            get_logger().exception("reconcile after a stream event failed", user=trader.user_id)

    async def _close(self, user_id: str, *, give_back: bool = True) -> None:
        opened = self._open.pop(user_id)
        await opened.stream.close()
        opened.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await opened.task
        if give_back:
            with contextlib.suppress(OutcomeUnknown):
                await opened.trader.exchange.close_stream(opened.stream.listen_key)

    async def close_all(self) -> None:
        """Close every socket, many at once (a close handshake can take a while and a
        shutdown must fit its grace period; the listenKeys lapse within the hour)."""
        users = list(self._open)
        for start in range(0, len(users), CLOSING_AT_ONCE):
            await asyncio.gather(
                *(self._close(u, give_back=False) for u in users[start : start + CLOSING_AT_ONCE]),
                return_exceptions=True,
            )
        USER_STREAMS.set(0)
