"""Positions valued at the market (mark, PnL, margin, risk to the stop, precision) and
"today" in the trader's time zone (pure parts)."""

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from fleet.gateway.adapters.marks import Mark, decimals_of, mark_from, valued
from fleet.gateway.api.account import zone_named
from fleet.gateway.errors import GatewayError
from fleet.gateway.read_models.trading.queries import start_of_day
from fleet.gateway.schemas.charts import CandleOut
from fleet.gateway.schemas.trading import PositionOut

pytestmark = pytest.mark.unit

OPENED = datetime(2026, 3, 1, 12, tzinfo=UTC)


def position(direction: str, stop: str | None = "62000") -> PositionOut:
    return PositionOut.model_validate(
        {
            "trade_id": "t1",
            "symbol": "BTC-USDT",
            "position_side": direction.upper(),
            "direction": direction,
            "quantity": "0.010",
            "entry_price": "64000.5",
            "leverage": 5,
            "stop_price": stop,
            "opened_at": OPENED,
        }
    )


def candle(close: str, high: str = "1") -> CandleOut:
    figures = {"open": "1", "high": high, "low": "1", "close": close, "volume": "3"}
    return CandleOut.model_validate({"open_time": OPENED, "closed": True, **figures})


def test_a_long_is_valued_at_the_mark() -> None:
    found = valued(position("long"), Mark(Decimal("64210.5"), 1))
    assert found.mark_price == Decimal("64210.5") and found.price_decimals == 1
    assert found.unrealised_pnl == Decimal("2.10")  # 210 * 0.010
    assert found.notional == Decimal("640.00") and found.margin == Decimal("128.00")
    assert found.unrealised_pnl_pct == Decimal("1.64")  # of the margin
    assert found.risk_to_stop == Decimal("22.10")  # (64210.5 - 62000) * 0.010


def test_a_short_gains_when_the_price_falls_and_risks_up_to_its_stop() -> None:
    found = valued(position("short", stop="65000"), Mark(Decimal("63000.5"), 1))
    assert found.unrealised_pnl == Decimal("10.00")
    assert found.risk_to_stop == Decimal("20.00")


def test_a_stop_beyond_the_entry_in_profit_risks_nothing() -> None:
    found = valued(position("long", stop="64100"), Mark(Decimal("64500"), 1))
    assert found.risk_to_stop == Decimal("4.00")
    locked = valued(position("long", stop="64100"), Mark(Decimal("64050"), 1))
    assert locked.risk_to_stop == Decimal("0.00")


def test_without_a_mark_only_the_entry_figures_are_given() -> None:
    found = valued(position("long"), None)
    assert found.mark_price is None and found.unrealised_pnl is None
    assert found.unrealised_pnl_pct is None and found.price_decimals is None
    assert found.risk_to_stop == Decimal("20.00")  # from the entry, half to even
    assert valued(position("long", stop=None), None).risk_to_stop is None


def test_the_precision_is_the_most_decimals_the_market_quotes() -> None:
    assert decimals_of(Decimal("64000.50")) == 1 and decimals_of(Decimal("64000")) == 0
    assert decimals_of(Decimal("0.000123")) == 6
    found = mark_from([candle("64000.5"), candle("64001", high="64010.25")])
    assert found == Mark(Decimal("64001"), 2)
    assert mark_from([]) is None


def test_today_begins_at_midnight_in_the_traders_zone() -> None:
    evening = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # 20:30 on 1 March in New York
    assert start_of_day(evening) == datetime(2026, 3, 2, tzinfo=UTC)
    new_york = start_of_day(evening, ZoneInfo("America/New_York"))
    assert new_york == datetime(2026, 3, 1, 5, tzinfo=UTC)
    tokyo = start_of_day(evening, ZoneInfo("Asia/Tokyo"))
    assert tokyo == datetime(2026, 3, 1, 15, tzinfo=UTC)


@pytest.mark.parametrize("name", ["Mars/Olympus", "America", "America/New_York/", "Nowhere"])
def test_an_unknown_zone_is_a_400(name: str) -> None:
    with pytest.raises(GatewayError) as refused:
        zone_named(name)
    assert refused.value.status == 400


def test_a_known_zone_is_taken() -> None:
    assert zone_named("Europe/Berlin") == ZoneInfo("Europe/Berlin")
