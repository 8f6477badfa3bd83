"""A stream report that shows a fill was missed (after a takeover, the parts of the orders
that filled while no executor listened do): the executor asks BingX about that order
only, and stops a round of queries at the first one BingX does not answer. It asked about
every live order of the trader at each such report, and went on after a refusal: while
BingX refused (its 5 queries a second per UID), every report asked about every order
again, each question refused in turn. In the chaos campaign (rate budgets off) that went
to 100 refusals in 10 s and BingX's ban of the address."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import pytest

from fleet.events import AggregateId
from fleet.events.trading import OrderAccepted, OrderFilled, OrderIntended
from fleet.executor.domain.account import TradingAccount
from fleet.executor.execution import Execution
from fleet.executor.ports import ExchangeOrder, ExchangeStop, OrderReport, OutcomeUnknown
from fleet.executor.traders import Trader

from .fakes import FakeTrader

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SYMBOLS = ("BTC-USDT", "ETH-USDT", "SOL-USDT")


def entry(n: int) -> OrderIntended:
    return OrderIntended(
        client_order_id=f"entry-{n}",
        signal_id="sig-1",
        leg="entry",
        symbol=SYMBOLS[n],
        side="BUY",
        position_side="BOTH",
        order_type="MARKET",
        quantity=Decimal("0.3"),
        leverage=5,
        stop_loss=Decimal(100),
    )


class Exchange:
    """BingX holding the three entries, each filled in full (in three parts, while no
    executor listened); it refuses the first ``refusing`` queries (a rate limit) and
    counts them all."""

    def __init__(self, refusing: int = 0) -> None:
        self.asked: list[str] = []
        self.refusing = refusing

    async def find(self, _symbol: str, client_order_id: str) -> ExchangeOrder | None:
        self.asked.append(client_order_id)
        if len(self.asked) <= self.refusing:
            raise OutcomeUnknown("rate limit exceeded (100410)")
        number = client_order_id.removeprefix("entry-")
        return ExchangeOrder(client_order_id, f"9{number}", "FILLED", Decimal(200), Decimal("0.3"))

    async def stops(self, _symbol: str) -> list[ExchangeStop]:
        return []


def owning_three_entries(exchange: Exchange) -> FakeTrader:
    """A trader whose three entries BingX accepted (``NEW``), nothing recorded filled."""
    account = TradingAccount(AggregateId("u1"))
    for n in range(3):
        account.apply(entry(n))
        account.apply(
            OrderAccepted(client_order_id=f"entry-{n}", exchange_order_id=f"9{n}", status="NEW")
        )
    return FakeTrader(account, exchange)


def part(n: int, cumulative: str) -> OrderReport:
    """The stream's report of entry ``n``'s part that brought it to ``cumulative``."""
    return OrderReport(
        client_order_id=f"entry-{n}",
        exchange_order_id=f"9{n}",
        status="FILLED" if cumulative == "0.3" else "PARTIALLY_FILLED",
        cumulative_quantity=Decimal(cumulative),
        average_price=Decimal(200),
        reported_by="stream",
        at=NOW,
        last_quantity=Decimal("0.1"),
        last_price=Decimal(200),
    )


async def test_a_missed_fill_is_asked_about_for_its_own_order_only() -> None:
    exchange = Exchange()
    trader = owning_three_entries(exchange)

    async def pause(_user: str, _reason: str) -> None:
        return None

    run = Execution(cast(Any, None), pause, clock=lambda: NOW, follow_up_s=())
    # the executor starts listening when each entry's second part is reported: a gap
    for n in range(3):
        await run.on_report(cast(Trader, trader), part(n, "0.2"))
    assert exchange.asked == ["entry-0", "entry-1", "entry-2"]  # each once, no other
    # each order's total came by query: the last parts add nothing and ask nothing
    for n in range(3):
        await run.on_report(cast(Trader, trader), part(n, "0.3"))
    assert len(exchange.asked) == 3
    fills = [e for e in trader.account.pending if isinstance(e, OrderFilled)]
    assert sorted(f.client_order_id for f in fills) == ["entry-0", "entry-1", "entry-2"]
    assert all(f.cumulative_quantity == Decimal("0.3") for f in fills)
    assert trader.account.orders == {}  # each recorded to its end


async def test_while_bingx_refuses_each_report_asks_once() -> None:
    """Every query refused: each report of a gap asks once (it asked about every live
    order: 3 orders x 2 reports each made 18 refused queries, here 6)."""
    exchange = Exchange(refusing=1000)
    trader = owning_three_entries(exchange)

    async def pause(_user: str, _reason: str) -> None:
        return None

    run = Execution(cast(Any, None), pause, clock=lambda: NOW, follow_up_s=())
    for cumulative in ("0.2", "0.3"):
        for n in range(3):
            await run.on_report(cast(Trader, trader), part(n, cumulative))
    assert len(exchange.asked) == 6
    assert len(trader.account.orders) == 3  # nothing recorded: the next round asks again
    await run.poll_orders(cast(Trader, trader))  # a round (periodic, follow-up): one refusal
    assert len(exchange.asked) == 7
