"""One user's BingX account over HTTP (fleet.bingx), signed by the vault service.

Errors are translated once, here: an answered refusal is final (:class:`OrderRefused`
with BingX's code), an order that could not be signed was never sent. No answer, an HTTP
5xx (a proxy's 502 may hide an order BingX did execute) or an answer that cannot be read
is settled by asking BingX for the clientOrderID at once — never by sending it again —
and stays :class:`OutcomeUnknown` if BingX cannot tell yet. A rate-limit or "busy"
refusal of an order is retried with the same clientOrderID: BingX refused it, so nothing
was placed, and the id makes a repeat harmless anyway. A ban of the egress address
(HTTP 418 / 403) is not retried: the order is refused.
"""

from __future__ import annotations

import asyncio
import time
from typing import Literal

from fleet.bingx import BingxClient
from fleet.bingx.errors import (
    Banned,
    BingxError,
    ListenKeyGone,
    MalformedAnswer,
    OrderNotFound,
    RateLimited,
    Rejected,
    Retryable,
    TimestampError,
    UnknownOutcome,
)
from fleet.bingx.models import Order, Position, PositionSide
from fleet.events.trading import OrderIntended
from fleet.executor.errors import SigningUnavailable
from fleet.executor.ports import (
    ExchangeBalance,
    ExchangeFill,
    ExchangeOrder,
    ExchangePosition,
    OrderRefused,
    OutcomeUnknown,
    StreamExpired,
)

ORDER_ATTEMPTS = 4
RETRY_PAUSE_S = 0.25
SETTLE_ATTEMPTS = 3  # queries of an order whose answer was lost, 0.5 s, 1 s, 2 s apart
SETTLE_PAUSE_S = 0.5


class BingxAccount:
    """The :class:`fleet.executor.ports.Account` of one user."""

    def __init__(self, client: BingxClient) -> None:
        self._client = client

    async def place(self, intent: OrderIntended) -> ExchangeOrder:
        try:
            placed = _order(await self._sent_until_answered(intent))
        except _Unanswered as exc:
            return await self._settle(intent, str(exc))
        if intent.order_type == "MARKET" and placed.average_price is None:
            # BingX's own answer carries no fill fields (API.md §4.3): read the price back.
            return await self._settle(intent, "no fill price", placed)
        return placed

    async def _sent_until_answered(self, intent: OrderIntended) -> Order:
        for attempt in range(1, ORDER_ATTEMPTS + 1):
            try:
                return await self._send(intent)
            except (RateLimited, TimestampError) as exc:
                if attempt == ORDER_ATTEMPTS:
                    raise OrderRefused(str(exc), exc.code) from None
                if isinstance(exc, TimestampError):
                    await self._client.sync_clock()
                await asyncio.sleep(RETRY_PAUSE_S * attempt)
        raise AssertionError("unreachable")

    async def _settle(
        self, intent: OrderIntended, why: str, placed: ExchangeOrder | None = None
    ) -> ExchangeOrder:
        """The order's fate by query: what BingX holds (filled, if it fills in time), else
        :class:`OutcomeUnknown` (left open for the order flow's resolve, which re-sends
        only what BingX never saw)."""
        found = placed
        for attempt in range(SETTLE_ATTEMPTS):
            await asyncio.sleep(SETTLE_PAUSE_S * 2**attempt)
            try:
                found = await self.find(intent.symbol, intent.client_order_id) or found
            except OutcomeUnknown:
                continue
            if found is not None and found.average_price is not None:
                return found
        if found is not None:
            return found
        raise OutcomeUnknown(f"{why}; BingX cannot tell yet")

    async def _send(self, intent: OrderIntended) -> Order:
        try:
            return await self._client.place_order(
                intent.symbol,
                intent.side,
                intent.position_side,
                intent.order_type,
                intent.quantity,
                stop_price=intent.stop_price,
                client_order_id=intent.client_order_id,
                stop_loss=intent.stop_loss,
                reduce_only=True if intent.reduce_only else None,
            )
        except (UnknownOutcome, MalformedAnswer) as exc:
            raise _Unanswered(str(exc)) from None
        except SigningUnavailable as exc:
            raise OrderRefused(f"not sent: {exc}", None) from None
        except Banned as exc:
            raise OrderRefused(f"not sent: {exc.bingx_message}", exc.code) from None
        except (RateLimited, TimestampError):
            raise
        except Retryable as exc:  # answered "busy": BingX did not take the order
            raise RateLimited(str(exc), exc.code, exc.http_status) from None
        except Rejected as exc:
            raise OrderRefused(exc.bingx_message, exc.code) from None

    async def find(self, symbol: str, client_order_id: str) -> ExchangeOrder | None:
        try:
            order = await self._client.query_order(symbol, client_order_id=client_order_id)
        except OrderNotFound:
            return None
        except (BingxError, SigningUnavailable) as exc:
            raise OutcomeUnknown(f"cannot ask BingX about {client_order_id}: {exc}") from None
        return _order(order)

    async def positions(self) -> list[ExchangePosition]:
        try:
            found = await self._client.positions()
        except (BingxError, SigningUnavailable) as exc:
            raise OutcomeUnknown(f"positions unavailable: {exc}") from None
        return [_position(p) for p in found if p.amount != 0]

    async def balance(self) -> ExchangeBalance:
        try:
            found = await self._client.balance()
        except (BingxError, SigningUnavailable) as exc:
            raise OutcomeUnknown(f"balance unavailable: {exc}") from None
        return ExchangeBalance(
            found.balance, found.equity, found.available_margin, found.unrealized_profit
        )

    async def fills(self, symbol: str, since_ms: int) -> list[ExchangeFill]:
        try:
            found = await self._client.fills(symbol, since_ms, int(time.time() * 1000) + 1000)
        except (BingxError, SigningUnavailable) as exc:
            raise OutcomeUnknown(f"fills unavailable: {exc}") from None
        return [
            ExchangeFill(f.client_order_id, f.side, f.price, f.quantity, abs(f.commission))
            for f in found
        ]

    async def configure(self, symbol: str, leverage: int, hedge: bool) -> None:
        try:
            if await self._client.hedge_mode() != hedge:
                await self._client.set_hedge_mode(hedge)
            sides: tuple[PositionSide, ...] = ("LONG", "SHORT") if hedge else ("BOTH",)
            for side in sides:
                await self._client.set_leverage(symbol, side, leverage)
        except (BingxError, SigningUnavailable) as exc:
            raise OutcomeUnknown(f"cannot configure {symbol}: {exc}") from None

    async def open_stream(self) -> str:
        try:
            return await self._client.create_listen_key()
        except (BingxError, SigningUnavailable) as exc:
            raise OutcomeUnknown(f"no user-data stream: {exc}") from None

    async def keep_stream(self, listen_key: str) -> None:
        try:
            await self._client.keep_alive_listen_key(listen_key)
        except ListenKeyGone:
            raise StreamExpired(f"listenKey {listen_key[:8]}… is gone") from None
        except (BingxError, SigningUnavailable) as exc:
            raise OutcomeUnknown(f"listenKey not extended: {exc}") from None

    async def close_stream(self, listen_key: str) -> None:
        try:
            await self._client.delete_listen_key(listen_key)
        except (BingxError, SigningUnavailable) as exc:
            raise OutcomeUnknown(f"listenKey not deleted: {exc}") from None


class _Unanswered(Exception):
    """The order went out and no readable answer came back."""


def _order(order: Order) -> ExchangeOrder:
    average = order.average_price if order.average_price > 0 else None
    return ExchangeOrder(
        order.client_order_id, order.order_id, order.status, average, order.executed_quantity
    )


def _position(position: Position) -> ExchangePosition:
    direction: Literal["long", "short"]
    if position.position_side == "BOTH":
        direction = "long" if position.amount > 0 else "short"
    else:
        direction = "long" if position.position_side == "LONG" else "short"
    return ExchangePosition(
        symbol=position.symbol,
        direction=direction,
        position_side=position.position_side,
        quantity=abs(position.amount),
        entry_price=position.entry_price,
        leverage=position.leverage,
        unrealised_pnl=position.unrealized_profit,
    )
