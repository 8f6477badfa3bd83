"""BingX's fills and income as past trades, read window by window (pure parts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import pytest

from fleet.bingx.models import Fill
from fleet.events import AggregateId
from fleet.events.history import (
    BingxImportFinished,
    BingxImportProgressed,
    BingxImportStarted,
    ImportedTrade,
)
from fleet.executor.adapters.bingx_account import (
    IncomeRow,
    income_funding,
    income_row,
    income_transfer,
)
from fleet.executor.adapters.bingx_history import (
    BingxHistory,
    _all_rows,
    imported_income,
    windows,
)
from fleet.executor.domain.bingx_fills import FillRow, fold_fills, realised_by_fill
from fleet.executor.domain.history import ImportedHistory, match_open_trades

pytestmark = pytest.mark.unit
T0 = datetime(2026, 9, 1, tzinfo=UTC)


def fill(
    order_id: str,
    minutes: int,
    position_side: Literal["LONG", "SHORT", "BOTH"],
    price: str,
    quantity: str = "0.01",
    side: Literal["BUY", "SELL"] | None = None,
) -> FillRow:
    return FillRow(
        order_id=order_id,
        symbol="BTC-USDT",
        side=side,
        position_side=position_side,
        price=Decimal(price),
        quantity=Decimal(quantity),
        fee=Decimal("0.3"),
        at=T0 + timedelta(minutes=minutes),
    )


def trade(
    source_id: str, symbol: str, direction: Literal["long", "short"], *, closed: bool = False
) -> ImportedTrade:
    return ImportedTrade(
        trade_id=f"legacy-{source_id}",
        source_id=source_id,
        symbol=symbol,
        direction=direction,
        quantity=Decimal("0.01"),
        entry_price=Decimal(100),
        exit_price=Decimal(101) if closed else None,
        realised_pnl=Decimal("0.01") if closed else None,
        opened_at=T0,
        closed_at=T0 + timedelta(hours=1) if closed else None,
    )


def pnl_row(minutes: int, amount: str, tran_id: str, symbol: str | None = "BTC-USDT") -> IncomeRow:
    return IncomeRow(
        tran_id=f"pnl-{tran_id}",
        income_type="REALIZED_PNL",
        symbol=symbol,
        amount=Decimal(amount),
        asset="USDT",
        at=T0 + timedelta(minutes=minutes),
    )


def test_a_closing_fill_is_a_closed_trade_with_bingxs_pnl_and_the_opening_time() -> None:
    fills = [fill("1", 0, "LONG", "60000"), fill("2", 60, "LONG", "61000")]
    folded = fold_fills("u1", fills, realised_by_fill([pnl_row(60, "10", "t2")]))
    [closed] = folded.trades
    assert closed.direction == "long" and closed.realised_pnl == Decimal(10)
    assert closed.entry_price == Decimal(60000) and closed.exit_price == Decimal(61000)
    assert closed.opened_at == T0 and closed.closed_at == T0 + timedelta(minutes=60)
    assert closed.fees == Decimal("0.6")  # the closing fill's and the opening's


def test_shorts_openings_still_open_and_unknown_directions() -> None:
    fills = [
        fill("1", 0, "SHORT", "60000"),
        fill("2", 30, "SHORT", "59000"),  # closes the short: +10
        fill("3", 40, "LONG", "59000"),  # opens a long still open: no trade
        fill("4", 50, "BOTH", "59000"),  # one-way, no side: direction unknown
    ]
    folded = fold_fills("u1", fills, realised_by_fill([pnl_row(30, "10", "t2")]))
    [closed] = folded.trades
    assert closed.direction == "short" and closed.entry_price == Decimal(60000)
    assert folded.skipped == 1


def test_partial_closes_of_one_order_in_one_millisecond_are_one_trade() -> None:
    """A market order closing in three partials at one millisecond (two of them equal),
    with a REALIZED_PNL row each: one closed trade of the order's whole quantity and PnL,
    its entry price right, and no partial taken for an opening (no made-up trade later)."""
    fills = [
        fill("1", 0, "LONG", "60000", "0.03"),
        fill("2", 60, "LONG", "61000", "0.01"),
        fill("2", 60, "LONG", "61000", "0.01"),  # equal to the one above
        fill("2", 60, "LONG", "61010", "0.01"),
        fill("3", 90, "LONG", "62000", "0.01"),  # a later close: nothing left open for it
    ]
    realised = realised_by_fill(
        [pnl_row(60, "10", "a"), pnl_row(60, "10", "b"), pnl_row(60, "10.1", "c")]
    )
    folded = fold_fills("u1", fills, realised)
    [closed] = folded.trades
    assert closed.quantity == Decimal("0.03") and closed.realised_pnl == Decimal("30.1")
    assert closed.entry_price == Decimal(60000)
    assert closed.exit_price == Decimal("61003.33333333")
    assert closed.fees == Decimal("1.2")  # three closing partials' 0.9 and the opening's 0.3


async def test_equal_partials_of_one_order_are_both_read() -> None:
    """Two partials of one order with the same time, quantity and price are two fills:
    the reader keeps both (the fold merges an order's partials, summing them)."""
    row = {
        "orderId": "9",
        "symbol": "BTC-USDT",
        "price": "61000",
        "volume": "0.01",
        "filledTm": "2026-09-01T01:00:00Z",
    }

    class Client:
        async def fills(self, symbol: str | None, start: int, end: int) -> list[Fill]:
            return [Fill.model_validate(row) for _ in (1, 2)]

    read = await BingxHistory(Client()).fills(0, 1)  # type: ignore[arg-type]
    assert [f.quantity for f in read] == [Decimal("0.01"), Decimal("0.01")]


def test_realised_pnl_is_read_from_parsed_income_rows() -> None:
    """The fold takes the adapter's parsed rows as they are (no dicts rebuilt from them
    to be parsed again); rows of other kinds or without a symbol earn nothing, and one
    millisecond's rows on a symbol are summed."""
    fee = IncomeRow("f1", "TRADING_FEE", "BTC-USDT", Decimal("-0.3"), "USDT", T0)
    unnamed = pnl_row(0, "5", "x", symbol=None)
    rows = [pnl_row(0, "10", "a"), pnl_row(0, "2.5", "b"), fee, unnamed]
    at_ms = int(T0.timestamp() * 1000)
    assert realised_by_fill(rows) == {("BTC-USDT", at_ms): Decimal("12.5")}


def test_trade_ids_are_stable_and_per_user() -> None:
    fills = [fill("1", 0, "LONG", "60000"), fill("2", 60, "LONG", "61000")]
    realised = realised_by_fill([pnl_row(60, "10", "t2")])
    first = fold_fills("u1", fills, realised).trades[0].trade_id
    assert first == fold_fills("u1", list(reversed(fills)), realised).trades[0].trade_id
    assert first != fold_fills("u2", fills, realised).trades[0].trade_id


def test_windows_cover_the_range_without_overlap() -> None:
    cuts = windows(0, 99, 30)
    assert cuts == [(0, 29), (30, 59), (60, 89), (90, 99)]


async def test_a_full_answer_is_split_until_nothing_is_cut() -> None:
    stored = list(range(0, 100))  # one row per millisecond
    asked: list[tuple[int, int]] = []

    async def page(start: int, end: int) -> list[int]:
        asked.append((start, end))
        return [t for t in stored if start <= t <= end][-10:]  # keeps the newest 10

    rows = await _all_rows(page, 0, 99, 10)
    assert sorted(rows) == stored and len(asked) > 10


def test_open_trades_are_matched_against_positions_or_closed_unmatched() -> None:
    now = T0 + timedelta(days=1)
    trades = [
        trade("a", "BTC-USDT", "long"),
        trade("b", "ETH-USDT", "short"),
        trade("c", "BTC-USDT", "long", closed=True),
    ]
    result, matched, unmatched = match_open_trades(trades, [("BTC-USDT", "long")], now)
    assert matched == 1 and unmatched == [
        "b: no open BingX short position in ETH-USDT at the import"
    ]
    by_id = {t.source_id: t for t in result}
    assert by_id["a"].position_match == "matched" and by_id["a"].closed_at is None
    assert by_id["b"].position_match == "unmatched" and by_id["b"].closed_at == now
    assert by_id["c"].position_match is None


def test_the_history_follows_its_latest_import() -> None:
    history = ImportedHistory(AggregateId("u1"))
    history.apply(BingxImportStarted(import_id="i1", since=T0, until=T0, windows=13, at=T0))
    assert history.importing and not history.stalled(
        T0 + timedelta(minutes=1), timedelta(minutes=5)
    )
    assert history.stalled(T0 + timedelta(minutes=6), timedelta(minutes=5))
    progressed = BingxImportProgressed(
        import_id="i1", windows_done=4, fills_read=8, income_read=9, rate_limited=1, at=T0
    )
    history.apply(progressed)
    assert history.bingx_import.windows_done == 4 and history.bingx_import.rate_limited == 1
    history.apply(
        BingxImportFinished(
            import_id="i1",
            outcome="done",
            trades_imported=3,
            trades_already_there=0,
            income_imported=9,
            at=T0,
        )
    )
    assert history.bingx_import.status == "done" and history.bingx_import.trades_imported == 3
    assert history.bingx_import.windows_done == 4


def test_an_income_row_without_a_symbol_names_none() -> None:
    """BingX omits ``symbol`` on account-wide rows: every income reader says ``None``,
    never the text "None"."""
    row: dict[str, Any] = {
        "incomeType": "FUNDING_FEE", "income": "-0.0450", "asset": "USDT",
        "time": 1702713615000, "tranId": "170271361500", "tradeId": "",
    }  # fmt: skip
    read = income_row(row)
    assert read is not None and read.symbol is None
    imported = imported_income(read)
    paid = income_funding(row)
    moved = income_transfer(row | {"incomeType": "TRANSFER"})
    assert imported is not None and imported.symbol is None
    assert paid is not None and paid.symbol is None
    assert moved is not None and moved.amount == Decimal("-0.045")
    assert income_row(row | {"symbol": ""}) == read
    assert income_row(row | {"income": "not a number"}) is None
    assert income_funding(row | {"time": None}) is None
