"""The order flow against an exchange that loses requests and answers."""

from decimal import Decimal

import pytest

from fleet.events.trading import OrderAccepted, OrderIntended, OrderRejected
from fleet.executor.domain.ids import client_order_id
from fleet.executor.domain.risk_gate import Caps, GateView
from fleet.executor.order_flow import resolve, submit
from fleet.risk import Instrument
from fleet.testing.orders import btc_entry

from .fakes import FlakyExchange

pytestmark = pytest.mark.unit
BTC = Instrument(Decimal("0.001"), Decimal("0.001"), Decimal(2), 125, Decimal("0.1"), "BTC-USDT")
GATE = GateView("active", "", Caps(Decimal(1000), Decimal(5000), 20), (), {"BTC-USDT": BTC})
PRICE = Decimal(100)


def intent(signal: str = "sig-1", quantity: str = "0.5") -> OrderIntended:
    return btc_entry(
        quantity=quantity,
        client_order_id=client_order_id(signal, "u1", "entry"),
        signal_id=signal,
    )


async def test_happy_path_is_accepted_once() -> None:
    exchange = FlakyExchange()
    outcome = await submit(exchange, intent(), GATE, PRICE)
    assert isinstance(outcome, OrderAccepted) and not outcome.resolved_after_restart
    assert outcome.average_price == Decimal(100) and len(exchange.orders) == 1


async def test_sending_the_same_intent_twice_adopts_the_first_order() -> None:
    exchange = FlakyExchange()
    first = await submit(exchange, intent(), GATE, PRICE)
    second = await submit(exchange, intent(), GATE, PRICE)
    assert isinstance(first, OrderAccepted) and isinstance(second, OrderAccepted)
    assert first.exchange_order_id == second.exchange_order_id and second.resolved_after_restart
    assert len(exchange.orders) == 1


async def test_answer_lost_after_accept_is_adopted_not_resent() -> None:
    exchange = FlakyExchange()
    exchange.lose_answer = True
    assert await submit(exchange, intent(), GATE, PRICE) is None
    exchange.lose_answer = False
    resolved = await resolve(exchange, intent(), GATE, PRICE, may_send=True)
    assert isinstance(resolved, OrderAccepted) and resolved.resolved_after_restart
    assert len(exchange.orders) == 1


async def test_request_lost_before_arrival_is_sent_at_restart() -> None:
    exchange = FlakyExchange()
    exchange.lose_request = True
    assert await submit(exchange, intent(), GATE, PRICE) is None
    assert await resolve(exchange, intent(), GATE, PRICE, may_send=True) is None
    exchange.lose_request = False
    resolved = await resolve(exchange, intent(), GATE, PRICE, may_send=True)
    assert isinstance(resolved, OrderAccepted) and len(exchange.orders) == 1


async def test_a_stale_entry_is_reported_not_sent() -> None:
    exchange = FlakyExchange()
    resolved = await resolve(exchange, intent(), GATE, PRICE, may_send=False)
    assert isinstance(resolved, OrderRejected) and resolved.bingx_code is None
    assert "stale" in resolved.message and not exchange.orders


async def test_refusal_is_an_outcome_with_the_bingx_code() -> None:
    outcome = await submit(FlakyExchange(), intent("sig-9", "0"), GATE, PRICE)
    assert isinstance(outcome, OrderRejected) and outcome.bingx_code == 109400


async def test_an_order_the_gate_refuses_is_never_sent() -> None:
    exchange = FlakyExchange()
    too_big = await submit(exchange, intent("sig-2", "20"), GATE, PRICE)  # 2,000 USDT > 1,000
    assert isinstance(too_big, OrderRejected) and too_big.bingx_code is None
    assert too_big.message.startswith("refused (notional_cap): order notional 2000.00 USDT")
    off_step = await submit(exchange, intent("sig-3", "0.0005"), GATE, PRICE)
    assert isinstance(off_step, OrderRejected)
    assert off_step.message.startswith("refused (precision): quantity 0.0005")
    reducing = GateView("reducing", "the bot is paused", GATE.caps, (), GATE.instruments)
    paused = await submit(exchange, intent("sig-4"), reducing, PRICE)
    assert isinstance(paused, OrderRejected) and "exits only (the bot is paused)" in paused.message
    assert not exchange.orders
