"""Orders that are never placed twice, whatever crashes.

1. the intent (with its deterministic clientOrderID) is appended before the request;
2. the request goes out;
3. the outcome (accepted with the exchange order id, or rejected with BingX's code) is
   appended after.
A crash between 1 and 3 leaves an open intent; :func:`resolve_open_intents` asks BingX for
that clientOrderID at start and records what it finds, re-sending only an order BingX never
received (and BingX itself rejects a repeated clientOrderID).
"""

from __future__ import annotations

from fleet.events import AggregateId
from fleet.events.trading import OrderAccepted, OrderIntended, OrderRejected
from fleet.eventstore import Repository
from fleet.executor.domain.account import TradingAccount
from fleet.executor.ports import Exchange, ExchangeOrder, OrderRefused, OutcomeUnknown

DUPLICATE_CLIENT_ORDER_ID = 101481


async def place_order(
    accounts: Repository[TradingAccount], exchange: Exchange, user_id: str, intent: OrderIntended
) -> OrderAccepted | OrderRejected | None:
    """Intent, request, outcome. ``None`` when the outcome is unknown (left for resolve)."""
    fresh: list[bool] = []
    await accounts.execute(AggregateId(user_id), lambda a: fresh.append(a.intend(intent)))
    if not fresh[-1]:
        account = await accounts.load(AggregateId(user_id))
        known = account.outcomes.get(intent.client_order_id)
        return known if known is not None else await _resolve(accounts, exchange, user_id, intent)
    return await _send(accounts, exchange, user_id, intent, after_restart=False)


async def resolve_open_intents(
    accounts: Repository[TradingAccount], exchange: Exchange, user_id: str
) -> list[OrderAccepted | OrderRejected | None]:
    """At start: settle every intent that has no outcome yet."""
    account = await accounts.load(AggregateId(user_id))
    return [await _resolve(accounts, exchange, user_id, i) for i in account.open_intents]


async def _resolve(
    accounts: Repository[TradingAccount], exchange: Exchange, user_id: str, intent: OrderIntended
) -> OrderAccepted | OrderRejected | None:
    try:
        found = await exchange.find(intent.symbol, intent.client_order_id)
    except OutcomeUnknown:
        return None
    if found is None:
        return await _send(accounts, exchange, user_id, intent, after_restart=True)
    return await _record(accounts, user_id, _accepted(found, after_restart=True))


async def _send(
    accounts: Repository[TradingAccount],
    exchange: Exchange,
    user_id: str,
    intent: OrderIntended,
    *,
    after_restart: bool,
) -> OrderAccepted | OrderRejected | None:
    try:
        placed = await exchange.place(intent)
    except OutcomeUnknown:
        return None
    except OrderRefused as exc:
        if exc.bingx_code == DUPLICATE_CLIENT_ORDER_ID:
            return await _adopt(accounts, exchange, user_id, intent)
        rejected = OrderRejected(
            client_order_id=intent.client_order_id,
            bingx_code=exc.bingx_code,
            message=str(exc),
            resolved_after_restart=after_restart,
        )
        return await _record(accounts, user_id, rejected)
    return await _record(accounts, user_id, _accepted(placed, after_restart=after_restart))


async def _adopt(
    accounts: Repository[TradingAccount], exchange: Exchange, user_id: str, intent: OrderIntended
) -> OrderAccepted | None:
    """BingX already has this clientOrderID: record the order it has."""
    try:
        found = await exchange.find(intent.symbol, intent.client_order_id)
    except OutcomeUnknown:
        return None
    if found is None:
        return None
    accepted = _accepted(found, after_restart=True)
    await _record(accounts, user_id, accepted)
    return accepted


def _accepted(order: ExchangeOrder, *, after_restart: bool) -> OrderAccepted:
    return OrderAccepted(
        client_order_id=order.client_order_id,
        exchange_order_id=order.exchange_order_id,
        status=order.status,
        average_price=order.average_price,
        executed_quantity=order.executed_quantity,
        resolved_after_restart=after_restart,
    )


async def _record(
    accounts: Repository[TradingAccount], user_id: str, outcome: OrderAccepted | OrderRejected
) -> OrderAccepted | OrderRejected:
    await accounts.execute(AggregateId(user_id), lambda a: a.settle(outcome))
    return outcome
