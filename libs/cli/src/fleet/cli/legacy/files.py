"""The legacy bot's files: timestamped backups, the SQLite ``trades`` table, the ``.env``.

Both files are only read (the SQLite database opened read-only); the backups are copies
beside them named ``<name>.<UTC time>.bak``.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from dotenv import dotenv_values

# .env name -> the settings field it sets (validated like the settings API)
SETTINGS_VARIABLES = {
    "MAX_POSITIONS": "max_positions",
    "RISK_PER_TRADE": "risk_per_trade",
    "DAILY_LOSS_LIMIT": "daily_loss_limit",
    "LEVERAGE": "leverage",
    "ADX_THRESHOLD": "adx_threshold",
    "TIMEFRAME": "timeframe",
    "SYMBOLS": "symbols",
}
SECRET_VARIABLES = ("BINGX_SECRET_KEY", "BINGX_API_SECRET")


def back_up(path: Path, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Path:
    """A copy of ``path`` beside it, stamped with the UTC time; the copy's path."""
    stamp = now().strftime("%Y%m%dT%H%M%S%fZ")
    copy = path.with_name(f"{path.name}.{stamp}.bak")
    shutil.copy2(path, copy)
    return copy


def trade_rows(database: Path) -> tuple[list[str], list[dict[str, object]]]:
    """The ``trades`` table's column names and rows (``rowid`` added when it has no id)."""
    uri = f"{database.resolve().as_uri()}?mode=ro"
    with sqlite3.connect(uri, uri=True) as connection:
        connection.row_factory = sqlite3.Row
        try:
            cursor = connection.execute("SELECT rowid AS rowid, * FROM trades ORDER BY rowid")
        except sqlite3.OperationalError:  # a WITHOUT ROWID table
            cursor = connection.execute("SELECT * FROM trades")
        rows = [dict(row) for row in cursor.fetchall()]
        columns = [d[0] for d in cursor.description]
    return columns, rows


def env_values(path: Path) -> dict[str, str]:
    """The ``.env``'s variables (never printed: it holds the BingX secret)."""
    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def bingx_key(env: dict[str, str]) -> tuple[str, str] | None:
    """(api key, secret) from ``BINGX_API_KEY`` and ``BINGX_SECRET_KEY``/``BINGX_API_SECRET``."""
    api_key = env.get("BINGX_API_KEY", "").strip()
    secret = next((env[n].strip() for n in SECRET_VARIABLES if env.get(n, "").strip()), "")
    return (api_key, secret) if api_key and secret else None


def settings_found(env: dict[str, str]) -> dict[str, str]:
    """settings field -> the raw text the ``.env`` gives it."""
    return {field: env[name].strip() for name, field in SETTINGS_VARIABLES.items() if env.get(name)}
