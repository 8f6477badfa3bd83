"""Files of a single-user bot for the importer's tests: a SQLite ``trades`` table in one
of two dialects (BUY/SELL with epoch times, LONG/SHORT with ISO-8601 text) and a .env."""

from __future__ import annotations

import sqlite3
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

START = datetime(2025, 1, 6, 9, 30, tzinfo=UTC)
SYMBOLS = ("BTCUSDT", "eth-usdt", "SOL/USDT:USDT")


@dataclass(frozen=True)
class LegacyBot:
    sqlite: Path
    env: Path
    rows: int
    open_rows: int
    pnl: Decimal
    first_opened: datetime  # row 1's entry time


def buy_sell_bot(folder: Path, rows: int, api_key: str, secret: str) -> LegacyBot:
    """Columns id/pair/side/qty/entry/exit/profit/open_time/close_time/status; times as
    epoch milliseconds (even rows) or seconds (odd rows); every 10th trade still open."""
    return _bot(folder, rows, api_key, secret, dialect="buysell")


def long_short_bot(folder: Path, rows: int, api_key: str, secret: str) -> LegacyBot:
    """Columns trade_id/symbol/direction/size/entry_price/exit_price/pnl/entry_time/
    exit_time/state; times as ISO-8601 text; every 10th trade still open."""
    return _bot(folder, rows, api_key, secret, dialect="longshort")


def _bot(folder: Path, rows: int, api_key: str, secret: str, *, dialect: str) -> LegacyBot:
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "bot.db"
    buysell = dialect == "buysell"
    columns = (
        "id INTEGER PRIMARY KEY, pair TEXT, side TEXT, qty REAL, entry REAL, exit REAL, "
        "profit REAL, open_time INTEGER, close_time INTEGER, status TEXT"
        if buysell
        else "trade_id INTEGER PRIMARY KEY, Symbol TEXT, Direction TEXT, Size TEXT, "
        "Entry_Price TEXT, Exit_Price TEXT, PnL TEXT, Entry_Time TEXT, Exit_Time TEXT, "
        "State TEXT"
    )
    total, open_rows = Decimal(0), 0
    with sqlite3.connect(database) as connection:
        connection.execute(f"CREATE TABLE trades ({columns})")
        for n in range(1, rows + 1):
            opened = START + timedelta(hours=6 * n)
            closed = opened + timedelta(hours=3)
            is_open = n % 10 == 0
            pnl = Decimal(n % 7 - 3) + Decimal("0.25")
            open_rows += is_open
            total += 0 if is_open else pnl
            side = ("BUY", "SELL") if buysell else ("LONG", "SHORT")
            values = (
                n,
                SYMBOLS[n % 3],
                side[n % 2],
                "0.01",
                "100",
                None if is_open else "101",
                None if is_open else str(pnl),
                _time(opened, n, buysell),
                None if is_open else _time(closed, n, buysell),
                "open" if is_open else "closed",
            )
            connection.execute(f"INSERT INTO trades VALUES ({', '.join('?' * 10)})", values)
    env = folder / ".env"
    env.write_text(
        f"BINGX_API_KEY={api_key}\nBINGX_SECRET_KEY={secret}\n"
        "MAX_POSITIONS=3\nRISK_PER_TRADE=1.5\nLEVERAGE=3\nSYMBOLS=BTCUSDT,ETHUSDT\n"
        "TIMEFRAME=1h\n"
    )
    return LegacyBot(database, env, rows, open_rows, total, START + timedelta(hours=6))


def _time(moment: datetime, n: int, epoch: bool) -> object:
    if not epoch:
        return moment.isoformat()
    seconds = int(moment.timestamp())
    return seconds * 1000 if n % 2 == 0 else seconds


def spoil_row(bot: LegacyBot, row_id: int, column: str, value: str) -> None:
    with sqlite3.connect(bot.sqlite) as connection:
        key = "id" if "pair" in _columns(connection) else "trade_id"
        connection.execute(f"UPDATE trades SET {column} = ? WHERE {key} = ?", (value, row_id))


def _columns(connection: sqlite3.Connection) -> list[str]:
    return [row[1] for row in connection.execute("PRAGMA table_info(trades)")]


def import_command(bot: LegacyBot, username: str, *extra: str, actor: str = "root") -> list[str]:
    """The CLI run by the admin ``actor`` (the stack's bootstrap admin is ``root``)."""
    return [
        sys.executable,
        "-m",
        "fleet.cli",
        "import",
        "legacy",
        "--sqlite",
        str(bot.sqlite),
        "--env",
        str(bot.env),
        "--as",
        username,
        "--actor",
        actor,
        *extra,
    ]
