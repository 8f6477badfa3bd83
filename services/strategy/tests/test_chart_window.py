"""The charts' window: bounded, ordered, the forming candle last and replaced on close."""

from __future__ import annotations

import json

from fleet.strategy.domain.candles import Candle
from fleet.strategy.domain.chart import ChartWindow
from fleet.strategy.domain.incremental import DmiValues


def _candle(open_ms: int, close: float = 1.0) -> Candle:
    return Candle(open_ms, 1.0, 2.0, 0.5, close, 10.0)


def test_the_window_keeps_the_last_closed_candles_with_their_indicators() -> None:
    window = ChartWindow(size=2)
    for open_ms in (1, 2, 3):
        window.close(_candle(open_ms), DmiValues(adx=20.0 + open_ms, plus_di=30.0, minus_di=10.0))
    window.close(_candle(2), None)  # a repeat: ignored
    rows = json.loads(window.to_json())["candles"]
    assert [row["open_ms"] for row in rows] == [2, 3]
    assert rows[-1]["adx"] == 23.0 and rows[-1]["plus_di"] == 30.0 and rows[-1]["closed"]


def test_the_forming_candle_moves_and_is_dropped_once_closed() -> None:
    window = ChartWindow()
    window.close(_candle(1), None)
    assert window.form(_candle(2, close=1.5))
    assert not window.form(_candle(2, close=1.5))  # the same push again: nothing to store
    assert window.form(_candle(2, close=1.7))
    assert not window.form(_candle(1))  # older than the last closed one
    rows = json.loads(window.to_json())["candles"]
    assert rows[-1] == rows[-1] | {"open_ms": 2, "close": 1.7, "closed": False, "adx": None}
    window.close(_candle(2, close=1.8), DmiValues(adx=25.0))
    rows = json.loads(window.to_json())["candles"]
    assert [(row["open_ms"], row["closed"]) for row in rows] == [(1, True), (2, True)]
