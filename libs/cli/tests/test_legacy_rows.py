"""The legacy row parser: synonyms, time formats, sides, symbols, --map, bad rows."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fleet.cli.legacy.files import back_up, bingx_key, settings_found, trade_rows
from fleet.cli.legacy.rows import (
    BadMapping,
    BadRow,
    column_fields,
    file_fingerprint,
    missing_fields,
    normalise_symbol,
    parse_mapping,
    parse_time,
    read_row,
    read_rows,
)
from fleet.cli.main import app

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
CLOSED = {
    "ID": 7,
    "Pair": "btcusdt",
    "Side": "BUY",
    "Qty": "0.01",
    "Entry": "60000",
    "Exit": "61000",
    "Profit": "9.5",
    "Open_Time": "2025-03-01T12:00:00Z",
    "Close_Time": 1740834000,
    "Status": "closed",
}


def fields_of(row: dict[str, object], *maps: str) -> dict[str, str]:
    return column_fields(list(row), parse_mapping(list(maps)))


def test_synonyms_match_case_insensitively() -> None:
    fields = fields_of(CLOSED)
    assert fields["quantity"] == "Qty" and fields["pnl"] == "Profit"
    assert fields["entry_time"] == "Open_Time" and fields["row_id"] == "ID"
    trade = read_row(CLOSED, fields, 1)
    assert (trade.row_id, trade.symbol, trade.direction) == ("7", "BTC-USDT", "long")
    assert (trade.quantity, trade.pnl, trade.exit_price) == (
        Decimal("0.01"),
        Decimal("9.5"),
        Decimal("61000"),
    )
    assert trade.opened_at == T0 and trade.closed_at == datetime(2025, 3, 1, 13, tzinfo=UTC)
    assert not trade.is_open and trade.leverage == 1 and trade.fees == 0


@pytest.mark.parametrize("name", ["quantity", "QTY", "Size", "amount"])
def test_every_quantity_synonym(name: str) -> None:
    row = {name: "2", "symbol": "ETH-USDT", "side": "LONG", "entry_price": 1, "entry_time": 0}
    assert read_row(row, fields_of(row), 1).quantity == 2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-03-01T12:00:00Z", T0),
        ("2025-03-01T12:00:00", T0),  # naive text is UTC
        ("2025-03-01 13:00:00+01:00", T0),
        (1740830400, T0),  # epoch seconds
        (1740830400000, T0),  # epoch milliseconds
        ("1740830400000", T0),
        ("1740830400", T0),
        (1740830400.0, T0),
    ],
)
def test_time_formats(raw: object, expected: datetime) -> None:
    assert parse_time(raw) == expected


@pytest.mark.parametrize("raw", ["yesterday", None, True, "2025-13-01"])
def test_unreadable_times(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_time(raw)


@pytest.mark.parametrize(
    ("side", "direction"),
    [("BUY", "long"), ("long", "long"), ("SELL", "short"), ("Short", "short")],
)
def test_sides(side: str, direction: str) -> None:
    row = {"symbol": "BTC-USDT", "side": side, "qty": 1, "entry_price": 1, "entry_time": 0}
    assert read_row(row, fields_of(row), 1).direction == direction


@pytest.mark.parametrize(
    ("raw", "symbol"),
    [
        ("BTCUSDT", "BTC-USDT"),
        ("btc-usdt", "BTC-USDT"),
        ("BTC/USDT:USDT", "BTC-USDT"),
        ("BTC/USDT", "BTC-USDT"),
        ("eth_usdt", "ETH-USDT"),
        ("1000PEPEUSDT", "1000PEPE-USDT"),
    ],
)
def test_symbol_normalisation(raw: str, symbol: str) -> None:
    assert normalise_symbol(raw) == symbol


@pytest.mark.parametrize("raw", ["BTC", "BTC-EUR", "", "USDT", "BT C/USDT/X"])
def test_symbols_that_are_not_usdt_pairs(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_symbol(raw)


def test_map_names_other_columns() -> None:
    row = {"coin": "SOLUSDT", "dir": "SELL", "lots": "3", "px": "100", "t": 0, "result": "-2"}
    fields = fields_of(
        row, "coin=symbol", "DIR=side", "lots=quantity", "px=entry_price", "t=entry_time"
    )
    assert missing_fields(fields) == []
    trade = read_row(row, fields, 4)
    assert (trade.symbol, trade.direction, trade.quantity, trade.row_id) == (
        "SOL-USDT",
        "short",
        Decimal(3),
        "4",
    )
    assert trade.is_open  # no exit time and no status: still open


@pytest.mark.parametrize("pair", ["coin", "coin=nothing", "=symbol"])
def test_bad_map(pair: str) -> None:
    with pytest.raises(BadMapping):
        parse_mapping([pair])


def test_missing_required_columns_are_named() -> None:
    assert missing_fields(column_fields(["symbol", "qty"], {})) == [
        "side",
        "entry_price",
        "entry_time",
    ]


def test_open_trade_ignores_exit_columns() -> None:
    row = CLOSED | {"Status": "OPEN", "Exit": None, "Profit": None, "Close_Time": None}
    trade = read_row(row, fields_of(row), 1)
    assert trade.is_open and trade.pnl is None and trade.exit_price is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"Side": "SIDEWAYS"}, "side"),
        ({"Qty": "-1"}, "quantity"),
        ({"Qty": "lots"}, "quantity"),
        ({"Profit": None}, "closed trade needs"),
        ({"Open_Time": "soon"}, "time"),
        ({"Pair": "BTC-EUR"}, "symbol"),
        ({"Status": "weird"}, "status"),
        ({"Close_Time": 1740826800}, "before entry_time"),
    ],
)
def test_bad_row_names_its_id_and_reason(change: dict[str, object], reason: str) -> None:
    row = CLOSED | change
    with pytest.raises(BadRow) as caught:
        read_row(row, fields_of(row), 1)
    assert caught.value.row_id == "7" and reason in caught.value.reason


def test_read_rows_refuses_a_file_with_one_bad_row() -> None:
    good = [CLOSED | {"ID": i} for i in range(1, 5)]
    rows = [*good, CLOSED | {"ID": 99, "Side": "?"}]
    with pytest.raises(BadRow) as caught:
        read_rows(rows, fields_of(CLOSED))
    assert caught.value.row_id == "99"
    assert len(read_rows(good, fields_of(CLOSED))) == 4


def test_duplicate_row_ids_are_refused() -> None:
    with pytest.raises(BadRow, match="twice"):
        read_rows([CLOSED, CLOSED], fields_of(CLOSED))


def test_trade_id_is_stable_per_user_and_row() -> None:
    trade = read_row(CLOSED, fields_of(CLOSED), 1)
    again = read_row(dict(CLOSED), fields_of(CLOSED), 2)
    assert trade.trade_id("u1", "f") == again.trade_id("u1", "f") != trade.trade_id("u2", "f")


def test_two_files_with_the_same_row_ids_are_different_trades() -> None:
    fields = fields_of(CLOSED)
    first_bot = read_rows([CLOSED, CLOSED | {"ID": 8}], fields)
    other_bot = read_rows(
        [CLOSED | {"Pair": "ETHUSDT", "Entry": "3000"}, CLOSED | {"ID": 8}], fields
    )
    mine, theirs = file_fingerprint(first_bot), file_fingerprint(other_bot)
    assert mine != theirs
    assert first_bot[1].trade_id("u1", mine) != other_bot[1].trade_id("u1", theirs)


def test_a_file_keeps_its_fingerprint_as_the_bot_appends_and_closes_trades() -> None:
    fields = fields_of(CLOSED)
    opened = CLOSED | {"Exit": None, "Profit": None, "Close_Time": None, "Status": "open"}
    before = read_rows([opened], fields)
    after = read_rows([CLOSED, CLOSED | {"ID": 8}], fields)
    assert file_fingerprint(before) == file_fingerprint(after)


def test_sqlite_rows_and_backup(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE trades (symbol TEXT, side TEXT, size REAL, entry_price REAL)")
        c.execute("INSERT INTO trades VALUES ('BTCUSDT', 'SELL', 0.5, 100)")
    copy = back_up(db, lambda: T0)
    assert copy.name == "bot.db.20250301T120000000000Z.bak" and copy.read_bytes() == db.read_bytes()
    columns, rows = trade_rows(db)
    assert columns[0] == "rowid" and rows == [
        {"rowid": 1, "symbol": "BTCUSDT", "side": "SELL", "size": 0.5, "entry_price": 100}
    ]


def test_env_key_and_settings() -> None:
    env = {"BINGX_API_KEY": "k", "BINGX_API_SECRET": "s", "LEVERAGE": "3", "SYMBOLS": "BTC-USDT"}
    assert bingx_key(env) == ("k", "s")
    assert bingx_key({"BINGX_API_KEY": "k"}) is None
    assert settings_found(env) == {"leverage": "3", "symbols": "BTC-USDT"}


def test_an_import_without_an_operator_stores_nothing_and_backs_nothing_up(
    tmp_path: Path,
) -> None:
    db = tmp_path / "bot.db"
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE trades (symbol TEXT, side TEXT, size REAL, entry_price REAL)")
        c.execute("INSERT INTO trades VALUES ('BTCUSDT', 'SELL', 0.5, 100)")
    done = CliRunner().invoke(
        app, ["import", "legacy", "--sqlite", str(db), "--as", "x"], env={"FLEET_IMPORT_ACTOR": ""}
    )
    assert done.exit_code == 2 and "--actor" in done.output
    assert [p.name for p in tmp_path.iterdir()] == ["bot.db"]
