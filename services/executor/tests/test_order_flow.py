"""The order flow against a real NATS event log and an exchange that loses answers."""

from collections.abc import AsyncIterator
from decimal import Decimal

import nats
import pytest
from nats.aio.client import Client

from fleet.events import AggregateId
from fleet.events.catalog import domain_registry
from fleet.events.trading import OrderAccepted, OrderIntended, OrderRejected
from fleet.eventstore import EventStore, Repository, StreamSpec, ensure_stream
from fleet.executor.domain.account import TradingAccount
from fleet.executor.domain.ids import client_order_id
from fleet.executor.order_flow import place_order, resolve_open_intents
from fleet.executor.ports import ExchangeOrder, OrderRefused, OutcomeUnknown

pytestmark = pytest.mark.integration


class FlakyExchange:
    """Keeps orders by clientOrderID like BingX (duplicates refused with 101481) and can
    lose the request before it arrives or the answer after it was accepted."""

    def __init__(self) -> None:
        self.orders: dict[str, ExchangeOrder] = {}
        self.lose_request = False
        self.lose_answer = False

    async def place(self, intent: OrderIntended) -> ExchangeOrder:
        if self.lose_request:
            raise OutcomeUnknown("connection reset before the request arrived")
        if intent.client_order_id in self.orders:
            raise OrderRefused("clientOrderID cannot be repeated", 101481)
        if intent.quantity <= 0:
            raise OrderRefused("quantity must be positive", 109400)
        order = ExchangeOrder(
            intent.client_order_id,
            str(len(self.orders) + 1),
            "FILLED",
            Decimal(100),
            intent.quantity,
        )
        self.orders[intent.client_order_id] = order
        if self.lose_answer:
            raise OutcomeUnknown("timeout after the order was accepted")
        return order

    async def find(self, symbol: str, client_order_id: str) -> ExchangeOrder | None:
        return self.orders.get(client_order_id)


@pytest.fixture
async def accounts(nats_url: str, namespace: str) -> AsyncIterator[Repository[TradingAccount]]:
    nc: Client = await nats.connect(nats_url)
    spec = StreamSpec(name=f"EV_{namespace}", prefix=namespace)
    await ensure_stream(nc.jetstream(), spec)
    yield Repository(EventStore(nc, spec), domain_registry(), TradingAccount)
    await nc.close()


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


async def test_happy_path_records_intent_then_outcome(
    accounts: Repository[TradingAccount],
) -> None:
    exchange = FlakyExchange()
    outcome = await place_order(accounts, exchange, "u1", intent())
    assert isinstance(outcome, OrderAccepted) and not outcome.resolved_after_restart
    account = await accounts.load(AggregateId("u1"))
    assert not account.open_intents and len(exchange.orders) == 1


async def test_the_same_intent_twice_places_one_order(accounts: Repository[TradingAccount]) -> None:
    exchange = FlakyExchange()
    first = await place_order(accounts, exchange, "u1", intent())
    second = await place_order(accounts, exchange, "u1", intent())
    assert first == second
    assert len(exchange.orders) == 1


async def test_answer_lost_after_accept_is_adopted_not_resent(
    accounts: Repository[TradingAccount],
) -> None:
    exchange = FlakyExchange()
    exchange.lose_answer = True
    assert await place_order(accounts, exchange, "u1", intent()) is None
    exchange.lose_answer = False
    [resolved] = await resolve_open_intents(accounts, exchange, "u1")
    assert isinstance(resolved, OrderAccepted) and resolved.resolved_after_restart
    assert len(exchange.orders) == 1


async def test_request_lost_before_arrival_is_sent_at_restart(
    accounts: Repository[TradingAccount],
) -> None:
    exchange = FlakyExchange()
    exchange.lose_request = True
    assert await place_order(accounts, exchange, "u1", intent()) is None
    exchange.lose_request = False
    [resolved] = await resolve_open_intents(accounts, exchange, "u1")
    assert isinstance(resolved, OrderAccepted) and len(exchange.orders) == 1
    assert await resolve_open_intents(accounts, exchange, "u1") == []


async def test_refusal_is_a_recorded_outcome(accounts: Repository[TradingAccount]) -> None:
    outcome = await place_order(accounts, FlakyExchange(), "u1", intent("sig-9", "0"))
    assert isinstance(outcome, OrderRejected) and outcome.bingx_code == 109400
