"""Dashboard reads: the admin's and the viewer's decision lists read like the trader's (a
type filter, routine skips left out on request, cursor pages that decisions arriving
meanwhile never shift); open positions carry BingX's liquidation price."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from fleet.events.trading import (
    AccountValued,
    LiquidationPrice,
    PositionOpened,
)
from tests.api.test_flows import _evaluated, caught_up

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.integration


async def test_admin_and_viewer_decisions_filter_and_page_like_the_traders(
    stack: "Stack", admin: "Session"
) -> None:
    trader = await stack.new_session(admin, "trader")
    viewer = await stack.new_session(admin, "viewer")
    granted = await admin.put(f"/api/admin/users/{viewer.user_id}/grants/{trader.user_id}")
    assert granted.status_code == 200, granted.text
    decided = [
        _evaluated("s1", "entry", "entry"),
        *[_evaluated(f"s{i}", "skip", "no_cross") for i in range(2, 5)],
        _evaluated("s5", "skip", "holding"),
        _evaluated("s6", "exit", "opposite_cross"),
        _evaluated("s7", "skip", "paused"),
    ]
    await caught_up(stack, await stack.append("account", trader.user_id, *decided))
    lists = {
        "admin": (admin, f"/api/admin/users/{trader.user_id}/decisions"),
        "viewer": (viewer, f"/api/viewer/traders/{trader.user_id}/decisions"),
    }
    pages: dict[str, tuple[str, list[str]]] = {}  # who -> (cursor, the second page's ids)
    for who, (session, path) in lists.items():
        notable = (await session.get(path, params={"routine": "false"})).json()
        assert [d["signal_id"] for d in notable["items"]] == ["s7", "s6", "s1"], who
        skips = (await session.get(path, params={"decision": "skip", "limit": 500})).json()
        assert [d["signal_id"] for d in skips["items"]] == ["s7", "s5", "s4", "s3", "s2"], who
        first = (await session.get(path, params={"limit": 3})).json()
        assert [d["signal_id"] for d in first["items"]] == ["s7", "s6", "s5"], who
        second = await session.get(path, params={"limit": 3, "before": first["next_before"]})
        assert [d["signal_id"] for d in second.json()["items"]] == ["s4", "s3", "s2"], who
        pages[who] = (first["next_before"], ["s4", "s3", "s2"])
        bad = await session.get(path, params={"decision": "maybe"})
        assert bad.status_code == 422, who
        cursor = await session.get(path, params={"before": "bm90LWEtY3Vyc29y"})
        assert cursor.status_code == 400, who
    await caught_up(
        stack, await stack.append("account", trader.user_id, _evaluated("s8", "entry", "entry"))
    )
    for who, (session, path) in lists.items():  # a new decision shifts no page by cursor
        cursor_of, ids = pages[who]
        again = (await session.get(path, params={"limit": 3, "before": cursor_of})).json()
        assert [d["signal_id"] for d in again["items"]] == ids, who
        newest = (await session.get(path, params={"limit": 1})).json()
        assert newest["items"][0]["signal_id"] == "s8", who
    stranger = await stack.new_session(admin, "viewer")
    refused = await stranger.get(f"/api/viewer/traders/{trader.user_id}/decisions")
    assert refused.status_code in {403, 404}


async def test_open_positions_show_the_liquidation_price_of_the_last_valuation(
    stack: "Stack", admin: "Session"
) -> None:
    trader = await stack.new_session(admin, "trader")
    now = datetime.now(UTC)
    opened = PositionOpened(
        trade_id="liq1",
        symbol="BTC-USDT",
        position_side="LONG",
        direction="long",
        quantity=Decimal("0.01"),
        entry_price=Decimal(60000),
        leverage=10,
        opened_at=now,
    )
    before = AccountValued(  # as recorded before valuations carried liquidation prices
        balance=Decimal(1000),
        equity=Decimal(1000),
        available_margin=Decimal(940),
        unrealised_pnl=Decimal(0),
        valued_at=now,
    )
    await caught_up(stack, await stack.append("account", trader.user_id, opened, before))
    [shown] = (await trader.get("/api/positions")).json()
    assert shown["liquidation_price"] is None
    liquidation = LiquidationPrice(symbol="BTC-USDT", direction="long", price=Decimal("54300.5"))
    valued = before.model_copy(update={"liquidation_prices": [liquidation]})
    await caught_up(stack, await stack.append("account", trader.user_id, valued))
    [shown] = (await trader.get("/api/positions")).json()
    assert Decimal(shown["liquidation_price"]) == Decimal("54300.5")
    [status_row] = (await trader.get("/api/status")).json()["positions"]
    assert Decimal(status_row["liquidation_price"]) == Decimal("54300.5")
