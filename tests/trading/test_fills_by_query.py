"""With no user-data stream (cut for the whole order), the fills are found by query and
build the same trade; a fill reported twice (stream and query, or by two owners across a
crash) is stored once."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from fleet.events import AggregateId
from fleet.events.catalog import domain_registry
from fleet.events.trading import OrderAccepted, OrderFilled, OrderIntended
from fleet.eventstore import Repository
from fleet.executor.domain.account import TradingAccount
from fleet.executor.domain.positions import fill_from
from fleet.executor.ports import OrderReport
from fleet.testing.orders import btc_entry

from .conftest import Trading
from .test_fills import MODES, assert_trade_is_the_fills, filled_entry_and_exit, in_mode

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def executor_overrides() -> dict[str, str]:
    return {"FLEET_USER_STREAMS_MAX": "0", "FLEET_POLL_INTERVAL_S": "3600"}


@MODES
async def test_fills_by_query_when_the_stream_is_down(
    trading: Trading, mode: dict[str, Any]
) -> None:
    keys = await trading.trader(risk_per_trade=Decimal(1))
    await in_mode(trading, keys, mode)
    before = Decimal((await trading.account_state(keys))["balance"])
    entry, exit_fills, after_entry, after_exit = await filled_entry_and_exit(
        trading, keys, "BTC-USDT", mode
    )
    assert {f.reported_by for f in entry + exit_fills} == {"query"}
    assert_trade_is_the_fills(entry, exit_fills, after_entry, after_exit, before)


def _report(intent: OrderIntended, path: str) -> OrderReport:
    return OrderReport(
        client_order_id=intent.client_order_id,
        exchange_order_id="1735950529123455088",
        status="PARTIALLY_FILLED",
        cumulative_quantity=Decimal("0.004"),
        average_price=Decimal(60000),
        reported_by="stream" if path == "stream" else "query",
        at=datetime.now(UTC),
        fee=Decimal("0.12"),
        last_quantity=Decimal("0.004"),
        last_price=Decimal(60000),
    )


async def test_one_fill_reported_by_two_owners_is_stored_once(trading: Trading) -> None:
    """The old owner records a fill from the stream and dies before it knows the append
    landed; the new owner, loaded before it, finds the same fill by query: one event."""
    accounts = Repository(trading.store, domain_registry(), TradingAccount)
    user = AggregateId("u-fill-once")
    intent = btc_entry("1")
    setup = await accounts.load(user)
    setup.record(intent)
    setup.record(
        OrderAccepted(
            client_order_id=intent.client_order_id,
            exchange_order_id="1735950529123455088",
            status="NEW",
        )
    )
    await accounts.save(setup)
    old_owner, new_owner = await accounts.load(user), await accounts.load(user)
    by_stream = fill_from(old_owner, _report(intent, "stream"))
    by_query = fill_from(new_owner, _report(intent, "query"))
    assert by_stream is not None and by_query is not None
    assert by_stream.fill_id == by_query.fill_id
    old_owner.record(by_stream)
    await accounts.save(old_owner)
    new_owner.record(by_query)
    await accounts.save(new_owner)  # the same fill: a duplicate, not a conflict
    events = await trading.events("account", user)
    assert len([e for e in events if isinstance(e, OrderFilled)]) == 1
    reloaded = await accounts.load(user)
    assert reloaded.held("BTC-USDT") is not None
    assert reloaded.orders[intent.client_order_id].filled == Decimal("0.004")
