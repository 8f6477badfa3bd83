"""Reading and checking a candle CSV (``open_time_ms,open,high,low,close,volume``)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from fleet.strategy.errors import StrategyError

REQUIRED = ("open_time_ms", "open", "high", "low", "close", "volume")


class BadCandles(StrategyError, ValueError):
    """The file cannot be backtested; the message is one line for the user."""

    error_code = "bad_candles"


def read_candles(path: Path) -> pl.DataFrame:
    """The candles, typed and checked: every column present, numeric, times strictly
    increasing (no duplicates), high >= low."""
    try:
        frame = pl.read_csv(path, infer_schema_length=0)  # all text: we check types ourselves
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise BadCandles(f"{path}: cannot read CSV ({type(exc).__name__})") from None
    missing = [column for column in REQUIRED if column not in frame.columns]
    if missing:
        raise BadCandles(f"{path}: missing column(s) {', '.join(missing)}")
    if frame.height == 0:
        raise BadCandles(f"{path}: no candles")
    typed = _typed(path, frame)
    times = typed["open_time_ms"]
    if (times.diff().drop_nulls() <= 0).any():
        row = int((times.diff() <= 0).arg_true()[0]) + 2
        raise BadCandles(f"{path}: open_time_ms must strictly increase (line {row})")
    if (typed["high"] < typed["low"]).any():
        row = int((typed["high"] < typed["low"]).arg_true()[0]) + 2
        raise BadCandles(f"{path}: high below low (line {row})")
    return typed


def _typed(path: Path, frame: pl.DataFrame) -> pl.DataFrame:
    casts = [pl.col("open_time_ms").cast(pl.Int64, strict=False)] + [
        pl.col(c).cast(pl.Float64, strict=False) for c in REQUIRED[1:]
    ]
    typed = frame.select(casts)
    for column in REQUIRED:
        bad = typed[column].is_null() & frame[column].is_not_null()
        if bad.any() or frame[column].is_null().any():
            row = int((bad | frame[column].is_null()).arg_true()[0]) + 2
            raise BadCandles(f"{path}: {column} is not a number on line {row}")
    return typed
