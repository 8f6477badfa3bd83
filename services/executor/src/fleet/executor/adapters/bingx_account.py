"""One user's BingX account over HTTP (fleet.bingx), signed by the vault service.

Errors are translated once, here: an answered refusal is final (:class:`OrderRefused`
with BingX's code), an order that could not be signed was never sent. No answer, an HTTP
5xx (a proxy's 502 may hide an order BingX did execute) or an answer that cannot be read
is settled by asking BingX for the clientOrderID at once — never by sending it again —
and stays :class:`OutcomeUnknown` if BingX cannot tell yet. An accepted order is not a
fill: BingX's answer has no fill fields; its fills are read from the user-data stream
(:func:`stream_report`) or by query (:func:`query_report`). A rate-limit or "busy"
refusal of an order is retried with the same clientOrderID: BingX refused it, so nothing
was placed, and the id makes a repeat harmless anyway. A ban of the egress address
(HTTP 418 / 403) is not retried: the order is refused.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

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
from fleet.events.trading import FundingPaid, OrderIntended, TransferRecorded, income_id
from fleet.executor.errors import ExecutorError, SigningUnavailable
from fleet.executor.ports import (
    ExchangeBalance,
    ExchangeFill,
    ExchangeOrder,
    ExchangePosition,
    ExchangeStop,
    OrderRefused,
    OrderReport,
    OutcomeUnknown,
    StreamExpired,
)
from fleet.ratelimit.retries import attempts_of, retried_numbered

ORDER_ATTEMPTS = 4  # sends refused unplaced, about 0.25 s, 0.375 s, 0.56 s apart
RETRY_PAUSE_S = 0.25
SETTLE_ATTEMPTS = 3  # queries of an order whose answer was lost, 0.5 s, 1 s, 2 s apart
SETTLE_PAUSE_S = 0.5
# Jitter (so that traders refused together do not ask again in step) takes up to this
# much off a series' first pause, the same share off later ones: none is longer than the
# figures above.
JITTER_S = 0.025


class BingxAccount:
    """The :class:`fleet.executor.ports.Account` of one user."""

    def __init__(self, client: BingxClient) -> None:
        self._client = client

    async def place(self, intent: OrderIntended) -> ExchangeOrder:
        try:
            placed = _order(await self._sent_until_answered(intent))
        except _Unanswered as exc:
            return await self._settle(intent, str(exc))
        return placed  # accepted, not filled: fills come by the user stream or by query

    async def _sent_until_answered(self, intent: OrderIntended) -> Order:
        """Sent again (same clientOrderID) only on the refusals that prove BingX did not
        take the order: a rate limit, a timestamp out of window (the clock resynced)."""
        try:
            return await retried_numbered(
                lambda number: self._sent_once(intent, last=number == ORDER_ATTEMPTS),
                (RateLimited, TimestampError),
                attempts=ORDER_ATTEMPTS,
                first_pause_s=RETRY_PAUSE_S,
                jitter_s=JITTER_S,
                growth=1.5,
            )
        except (RateLimited, TimestampError) as exc:
            raise OrderRefused(str(exc), exc.code) from None

    async def _sent_once(self, intent: OrderIntended, *, last: bool) -> Order:
        try:
            return await self._send(intent)
        except TimestampError:
            if not last:
                await self._client.sync_clock()
            raise

    async def _settle(self, intent: OrderIntended, why: str) -> ExchangeOrder:
        """The order's fate by query: what BingX holds, else :class:`OutcomeUnknown` (left
        open for the order flow's resolve, which re-sends only what BingX never saw)."""
        await asyncio.sleep(SETTLE_PAUSE_S)  # the order may still be on its way
        try:
            async for attempt in attempts_of(
                (OutcomeUnknown, _NotFoundYet),
                attempts=SETTLE_ATTEMPTS,
                first_pause_s=SETTLE_PAUSE_S * 2,
                jitter_s=JITTER_S,
            ):
                with attempt:
                    found = await self.find(intent.symbol, intent.client_order_id)
                    if found is None:
                        raise _NotFoundYet
                    return found
        except (OutcomeUnknown, _NotFoundYet):
            pass
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
        with _asking(f"cannot ask BingX about {client_order_id}"):
            try:
                order = await self._client.query_order(symbol, client_order_id=client_order_id)
            except OrderNotFound:
                return None
        return _order(order)

    async def positions(self) -> list[ExchangePosition]:
        with _asking("positions unavailable"):
            found = await self._client.positions()
        return [_position(p) for p in found if p.amount != 0]

    async def balance(self) -> ExchangeBalance:
        with _asking("balance unavailable"):
            found = await self._client.balance()
        return ExchangeBalance(
            found.balance, found.equity, found.available_margin, found.unrealized_profit
        )

    async def fills(self, symbol: str, since_ms: int) -> list[ExchangeFill]:
        with _asking("fills unavailable"):
            found = await self._client.fills(symbol, since_ms, int(time.time() * 1000) + 1000)
        return [
            ExchangeFill(f.client_order_id, f.side, f.price, f.quantity, abs(f.commission))
            for f in found
        ]

    async def funding(self, since_ms: int) -> list[FundingPaid]:
        """Funding fees paid or received since ``since_ms`` (BingX's income history)."""
        now_ms = int(time.time() * 1000)
        with _asking("income unavailable"):
            rows = await self._client.income("FUNDING_FEE", since_ms, now_ms + 1000)
        return [paid for paid in map(income_funding, rows) if paid is not None]

    async def transfers(self, since_ms: int) -> list[TransferRecorded]:
        """Deposits and withdrawals since ``since_ms`` (BingX's income ``TRANSFER`` rows)."""
        now_ms = int(time.time() * 1000)
        with _asking("income unavailable"):
            rows = await self._client.income("TRANSFER", since_ms, now_ms + 1000)
        return [moved for moved in map(income_transfer, rows) if moved is not None]

    async def stops(self, symbol: str) -> list[ExchangeStop]:
        with _asking(f"open orders of {symbol} unavailable"):
            found = await self._client.open_orders(symbol)
        return [
            ExchangeStop(
                o.client_order_id, o.order_id, o.side, o.position_side, o.quantity, o.stop_price
            )
            for o in found
            if o.type == "STOP_MARKET"
        ]

    async def cancel(self, symbol: str, exchange_order_id: str) -> None:
        with _asking(f"order {exchange_order_id} not cancelled"):
            await self._client.cancel_order(symbol, order_id=exchange_order_id)

    async def configure(self, symbol: str, leverage: int, hedge: bool) -> None:
        with _asking(f"cannot configure {symbol}"):
            if await self._client.hedge_mode() != hedge:
                await self._client.set_hedge_mode(hedge)
            sides: tuple[PositionSide, ...] = ("LONG", "SHORT") if hedge else ("BOTH",)
            for side in sides:
                await self._client.set_leverage(symbol, side, leverage)

    async def open_stream(self) -> str:
        with _asking("no user-data stream"):
            return await self._client.create_listen_key()

    async def keep_stream(self, listen_key: str) -> None:
        with _asking("listenKey not extended"):
            try:
                await self._client.keep_alive_listen_key(listen_key)
            except ListenKeyGone:
                raise StreamExpired(f"listenKey {listen_key[:8]}… is gone") from None

    async def close_stream(self, listen_key: str) -> None:
        with _asking("listenKey not deleted"):
            await self._client.delete_listen_key(listen_key)


@contextmanager
def _asking(what: str) -> Iterator[None]:
    """BingX could not answer (or the request could not be signed): ``what`` is unknown."""
    try:
        yield
    except (BingxError, SigningUnavailable) as exc:
        raise OutcomeUnknown(f"{what}: {exc}") from None


class _Unanswered(ExecutorError):
    """The order went out and no readable answer came back."""

    error_code = "order_unanswered"


def _order(order: Order) -> ExchangeOrder:
    """BingX's ``avgPrice`` is on the price precision; ``cumQuote`` (the filled value) gives
    the exact average of several fills, so PnL from a query matches BingX's to the cent."""
    average = order.average_price if order.average_price > 0 else None
    if order.cum_quote > 0 and order.executed_quantity > 0:
        average = order.cum_quote / order.executed_quantity
    return ExchangeOrder(
        order.client_order_id,
        order.order_id,
        order.status,
        average,
        order.executed_quantity,
        fee=abs(order.commission),
        realised_pnl=order.profit,
    )


def query_report(order: ExchangeOrder, now: datetime) -> OrderReport:
    """An order found by query as a progress report (its totals so far)."""
    return OrderReport(
        client_order_id=order.client_order_id,
        exchange_order_id=order.exchange_order_id,
        status=order.status,
        cumulative_quantity=order.executed_quantity,
        average_price=order.average_price,
        reported_by="query",
        at=now,
        fee=order.fee,
        realised_pnl=order.realised_pnl,
    )


def stream_report(message: dict[str, Any]) -> OrderReport | None:
    """An ``ORDER_TRADE_UPDATE`` as a progress report (API.md §6.3): ``z`` cumulative,
    ``ap`` average price, ``l``/``L`` the last fill, ``n`` its fee (negative), ``rp`` its
    realised PnL, ``X`` the status (``CANCELED`` on the stream). ``None`` if unreadable."""
    if message.get("e") != "ORDER_TRADE_UPDATE":
        return None
    order = message.get("o") or {}
    try:
        average = _decimal(order.get("ap"))
        last_quantity = _decimal(order.get("l"))
        return OrderReport(
            client_order_id=str(order.get("c") or "").lower(),
            exchange_order_id=str(order["i"]),
            status=str(order.get("X") or ""),
            cumulative_quantity=_decimal(order.get("z")),
            average_price=average if average > 0 else None,
            reported_by="stream",
            at=_at(order.get("T") or message.get("T") or message.get("E")),
            fee=abs(_decimal(order.get("n"))),
            fee_asset=str(order.get("N") or "USDT"),
            realised_pnl=_decimal(order["rp"]) if order.get("rp") not in (None, "") else None,
            last_quantity=last_quantity if "l" in order else None,
            last_price=_decimal(order.get("L")) if "L" in order else None,
        )
    except (KeyError, ArithmeticError, ValueError, TypeError):
        return None


def stream_funding(message: dict[str, Any]) -> list[FundingPaid]:
    """Funding fees in an ``ACCOUNT_UPDATE`` with reason ``FUNDING_FEE`` (API.md §6.3). The
    executor takes them as the signal to read the income history, whose ``tranId`` is the
    one identity a payment has (the stream names none): recorded from there, once.

    one per balance row whose ``bc`` (balance change) is not zero; cross margin names no
    symbol (isolated adds the position: its symbol when there is exactly one)."""
    update = message.get("a") or {}
    if message.get("e") != "ACCOUNT_UPDATE" or update.get("m") != "FUNDING_FEE":
        return []
    positions = update.get("P") or []
    symbol = str(positions[0].get("s")) if len(positions) == 1 else None
    at_ms = message.get("T") or message.get("E")
    paid = []
    for row in update.get("B") or []:
        try:
            amount = _decimal(row.get("bc"))
        except ArithmeticError:
            continue
        if amount == 0:
            continue
        asset = str(row.get("a") or "USDT")
        paid.append(
            FundingPaid(
                funding_id=f"stream-{at_ms}-{asset}-{symbol or 'cross'}",
                symbol=symbol,
                amount=amount,
                asset=asset,
                paid_at=_at(at_ms),
                reported_by="stream",
            )
        )
    return paid


@dataclass(frozen=True)
class IncomeRow:
    """One row of ``GET /openApi/swap/v2/user/income`` (API.md §4.2), read once for every
    use of it (funding, transfers, the history import), so they all read it alike."""

    tran_id: str  # BingX's identity of the row
    income_type: str
    symbol: str | None  # BingX omits it for account-wide rows (a transfer)
    amount: Decimal  # signed: negative is paid
    asset: str
    at: datetime


def income_row(row: dict[str, Any]) -> IncomeRow | None:
    """``row`` read; ``None`` without a ``tranId``, a readable ``income`` or ``time``: a
    row without them is no money movement that can be told apart or placed."""
    if not row.get("tranId"):
        return None
    try:
        return IncomeRow(
            tran_id=str(row["tranId"]),
            income_type=str(row.get("incomeType") or ""),
            symbol=str(row.get("symbol") or "") or None,
            amount=Decimal(str(row["income"])),
            asset=str(row.get("asset") or "USDT"),
            at=datetime.fromtimestamp(int(str(row["time"])) / 1000, UTC),
        )
    except (KeyError, ArithmeticError, ValueError, TypeError, OverflowError, OSError):
        return None


def income_funding(row: dict[str, Any]) -> FundingPaid | None:
    """A ``FUNDING_FEE`` row of the income history: ``tranId`` its identity."""
    read = income_row(row)
    if read is None or read.income_type != "FUNDING_FEE":
        return None
    return FundingPaid(
        funding_id=income_id(read.tran_id),
        symbol=read.symbol,
        amount=read.amount,
        asset=read.asset,
        paid_at=read.at,
        reported_by="query",
    )


TRANSFER_REASONS = frozenset({"DEPOSIT", "WITHDRAW"})


def stream_transfer(message: dict[str, Any]) -> bool:
    """Whether ``message`` is an ``ACCOUNT_UPDATE`` for a deposit or a withdrawal (API.md
    §6.3): the signal to read the income history, whose ``tranId`` is its one identity."""
    update = message.get("a") or {}
    return message.get("e") == "ACCOUNT_UPDATE" and update.get("m") in TRANSFER_REASONS


def income_transfer(row: dict[str, Any]) -> TransferRecorded | None:
    """A ``TRANSFER`` row of the income history: ``income`` signed (positive in, negative
    out), ``tranId`` its identity; a zero amount moved nothing."""
    read = income_row(row)
    if read is None or read.income_type != "TRANSFER" or read.amount == 0:
        return None
    return TransferRecorded(
        transfer_id=income_id(read.tran_id),
        amount=read.amount,
        asset=read.asset,
        moved_at=read.at,
        reported_by="query",
    )


def _decimal(value: object) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def _at(ms: object) -> datetime:
    try:
        return datetime.fromtimestamp(int(str(ms)) / 1000, UTC)
    except (TypeError, ValueError):
        return datetime.now(UTC)


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
        liquidation_price=position.liquidation_price,
    )


class _NotFoundYet(ExecutorError):
    """BingX does not list the order (yet): :meth:`BingxAccount._settle` asks again."""

    error_code = "order_not_listed_yet"
