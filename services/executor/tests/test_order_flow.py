"""The order flow against an exchange that loses requests and answers."""

from decimal import Decimal

import pytest

from fleet.events.trading import OrderAccepted, OrderIntended, OrderRejected
from fleet.executor.domain.ids import client_order_id
from fleet.executor.order_flow import resolve, submit

from .fakes import FlakyExchange

pytestmark = pytest.mark.unit


def intent(signal: str = "sig-1", quantity: str = "0.5") -> OrderIntended:
    return OrderIntended(
        client_order_id=client_order_id(signal, "u1", "entry"),
        signal_id=signal,
        leg="entry",
        symbol="BTC-USDT",
        side="BUY",
        position_side="LONG",
        order_type="MARKET",
        quantity=Decimal(quantity),
        leverage=5,
    )


async def test_happy_path_is_accepted_once() -> None:
    exchange = FlakyExchange()
    outcome = await submit(exchange, intent())
    assert isinstance(outcome, OrderAccepted) and not outcome.resolved_after_restart
    assert outcome.average_price == Decimal(100) and len(exchange.orders) == 1


async def test_sending_the_same_intent_twice_adopts_the_first_order() -> None:
    exchange = FlakyExchange()
    first = await submit(exchange, intent())
    second = await submit(exchange, intent())
    assert isinstance(first, OrderAccepted) and isinstance(second, OrderAccepted)
    assert first.exchange_order_id == second.exchange_order_id and second.resolved_after_restart
    assert len(exchange.orders) == 1


async def test_answer_lost_after_accept_is_adopted_not_resent() -> None:
    exchange = FlakyExchange()
    exchange.lose_answer = True
    assert await submit(exchange, intent()) is None
    exchange.lose_answer = False
    resolved = await resolve(exchange, intent(), may_send=True)
    assert isinstance(resolved, OrderAccepted) and resolved.resolved_after_restart
    assert len(exchange.orders) == 1


async def test_request_lost_before_arrival_is_sent_at_restart() -> None:
    exchange = FlakyExchange()
    exchange.lose_request = True
    assert await submit(exchange, intent()) is None
    assert await resolve(exchange, intent(), may_send=True) is None  # BingX still unreachable
    exchange.lose_request = False
    resolved = await resolve(exchange, intent(), may_send=True)
    assert isinstance(resolved, OrderAccepted) and len(exchange.orders) == 1


async def test_a_stale_entry_is_reported_not_sent() -> None:
    exchange = FlakyExchange()
    resolved = await resolve(exchange, intent(), may_send=False)
    assert isinstance(resolved, OrderRejected) and resolved.bingx_code is None
    assert "stale" in resolved.message and not exchange.orders


async def test_refusal_is_an_outcome_with_the_bingx_code() -> None:
    outcome = await submit(FlakyExchange(), intent("sig-9", "0"))
    assert isinstance(outcome, OrderRejected) and outcome.bingx_code == 109400
