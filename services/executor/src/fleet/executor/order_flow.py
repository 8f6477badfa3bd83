"""Orders that are never placed twice, whatever crashes.

1. the intent (with its deterministic clientOrderID) is appended before the request;
2. the request goes out (:func:`submit`);
3. the outcome (accepted with the exchange order id, or rejected with BingX's code) is
   appended after.
A crash between 1 and 3 leaves an open intent; :func:`resolve` asks BingX for that
clientOrderID at start and reports what it finds, re-sending only an order BingX never
received (and BingX itself refuses a repeated clientOrderID). An entry whose moment has
passed is not re-sent: it is reported as not sent, with the reason.

Nothing is sent that the risk gate (:mod:`fleet.executor.domain.risk_gate`) refuses: every
order — entry, exit, flatten, re-send — passes :func:`submit`, and :func:`submit` asks the
gate first. A refusal is an :class:`OrderRejected` without a BingX code, its message
``refused (<code>): <sentence>``.

These functions talk to the exchange only; the caller records their outcomes.
"""

from __future__ import annotations

from decimal import Decimal

from fleet.events.trading import OrderAccepted, OrderIntended, OrderRejected
from fleet.executor.domain.risk_gate import GateView, check
from fleet.executor.ports import Exchange, ExchangeOrder, OrderRefused, OutcomeUnknown

# 101481: this clientOrderID exists; 109201: the same order twice within a second. Either
# way BingX has (or is placing) the first: adopt it, never record a rejection.
DUPLICATE_CLIENT_ORDER_ID = 101481
DUPLICATES = (DUPLICATE_CLIENT_ORDER_ID, 109201)
# BingX's answers to an order off its precision or below its minimums (API.md §3): the
# contract book is read again before the next order.
PRECISION_CODES = frozenset({110400, 110425, 109400})
Outcome = OrderAccepted | OrderRejected


async def submit(
    exchange: Exchange,
    intent: OrderIntended,
    gate: GateView,
    price: Decimal,
    *,
    after_restart: bool = False,
) -> Outcome | None:
    """Send the order if the gate lets it through (at about ``price``). ``None`` when the
    outcome is unknown (left open for :func:`resolve`)."""
    refusal = check(intent, gate, price)
    if refusal is not None:
        message = f"refused ({refusal.code}): {refusal.reason.removeprefix('refused: ')}"
        return rejected(intent, message, None, after_restart=after_restart)
    try:
        placed = await exchange.place(intent)
    except OutcomeUnknown:
        return None
    except OrderRefused as exc:
        if exc.bingx_code in DUPLICATES:
            return await _adopt(exchange, intent)
        return rejected(intent, str(exc), exc.bingx_code, after_restart=after_restart)
    return accepted(placed, after_restart=after_restart)


async def resolve(
    exchange: Exchange, intent: OrderIntended, gate: GateView, price: Decimal, *, may_send: bool
) -> Outcome | None:
    """Settle an open intent: adopt what BingX has, else send it (when ``may_send``) or
    report it as not sent. ``None`` while BingX cannot tell."""
    try:
        found = await exchange.find(intent.symbol, intent.client_order_id)
    except OutcomeUnknown:
        return None
    if found is not None:
        return accepted(found, after_restart=True)
    if not may_send:
        reason = "not sent: the signal went stale before the order could be sent"
        return rejected(intent, reason, None, after_restart=True)
    return await submit(exchange, intent, gate, price, after_restart=True)


async def _adopt(exchange: Exchange, intent: OrderIntended) -> OrderAccepted | None:
    """BingX already has this clientOrderID: report the order it has."""
    try:
        found = await exchange.find(intent.symbol, intent.client_order_id)
    except OutcomeUnknown:
        return None
    return accepted(found, after_restart=True) if found is not None else None


def accepted(order: ExchangeOrder, *, after_restart: bool) -> OrderAccepted:
    """The outcome event of an order BingX holds."""
    return OrderAccepted(
        client_order_id=order.client_order_id,
        exchange_order_id=order.exchange_order_id,
        status=order.status,
        average_price=order.average_price,
        executed_quantity=order.executed_quantity,
        resolved_after_restart=after_restart,
    )


def rejected(
    intent: OrderIntended, message: str, code: int | None, *, after_restart: bool
) -> OrderRejected:
    """The outcome event of an order BingX refused (or that was never sent)."""
    return OrderRejected(
        client_order_id=intent.client_order_id,
        bingx_code=code,
        message=message,
        resolved_after_restart=after_restart,
    )
