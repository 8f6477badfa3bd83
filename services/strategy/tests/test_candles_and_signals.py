import time
from typing import cast

import pytest

from fleet.bingx import BingxClient, Transport
from fleet.eventstore import EventStore
from fleet.strategy.domain.candles import Candle, CandleAssembler
from fleet.strategy.domain.signals import SignalEngine
from fleet.strategy.live import LiveStrategy, Tracked

pytestmark = pytest.mark.unit
M5 = 300_000


def candle(open_ms: int, close: float = 1.0) -> Candle:
    return Candle(open_ms, close, close + 1, close - 1, close, 10.0)


def test_a_later_push_closes_the_forming_candle_once() -> None:
    assembler = CandleAssembler(M5)
    assert assembler.push(candle(0, 1.0)) == []
    assert assembler.push(candle(0, 2.0)) == []  # same candle, updated
    closed = assembler.push(candle(M5))
    assert closed == [candle(0, 2.0)]
    assert assembler.push(candle(0, 9.0)) == []  # stale: already closed
    assert assembler.push(candle(M5)) == []  # duplicate of the forming one


def test_the_clock_says_when_the_next_candle_is_due_pushed_or_not() -> None:
    assembler = CandleAssembler(M5)
    assert assembler.due_ms(3_000) is None  # nothing known yet
    assembler.push(candle(0))
    assert assembler.due_ms(3_000) == M5 + 3_000  # the forming one's end, plus grace
    assembler.forming, assembler.last_closed_ms = None, 0  # closed by the clock (REST)
    assert assembler.due_ms(3_000) == 2 * M5 + 3_000  # the next one, though never pushed


def test_a_gap_is_a_candle_neither_closed_nor_forming() -> None:
    assembler = CandleAssembler(M5, last_closed_ms=0)
    assert not assembler.gap_after(M5)
    assert assembler.gap_after(2 * M5)  # M5 was never seen
    assembler.push(candle(M5))
    assert not assembler.gap_after(2 * M5)  # the next push merely closes the forming one
    assert assembler.gap_after(3 * M5)


def test_engine_emits_one_signal_per_closed_candle_after_warm_up() -> None:
    engine = SignalEngine("BTC-USDT", "5m", period=3)
    signals = [engine.close(candle(i * M5, 100 + (i % 7))) for i in range(20)]
    assert signals[:5] == [None] * 5  # ADX needs 2n - 1 = 5 candles first
    assert all(s is not None for s in signals[5:])
    assert engine.close(candle(10 * M5)) is None  # a candle already seen never signals again
    ids = [s[0] for s in signals if s is not None]
    assert len(set(ids)) == len(ids) == 15
    first = signals[5]
    assert first is not None and first[1].candle_open_ms == 5 * M5


def test_health_says_when_no_candle_closed_for_two_intervals() -> None:
    rest = BingxClient(Transport("http://127.0.0.1:9", None))  # never called here
    live = LiveStrategy(cast(EventStore, None), rest, "ws://127.0.0.1:9/swap-market")
    assert live.problem() is None  # nothing tracked: nothing expected
    live.tracked[("BTC-USDT", "1m")] = Tracked(CandleAssembler(60_000), SignalEngine("B", "1m"))
    live.stream.down_since = None  # connected
    live.last_close_at = time.monotonic() - 90
    assert live.problem() is None  # 1.5 intervals: not yet
    live.last_close_at = time.monotonic() - 125
    assert (live.problem() or "").startswith("no candle closed for 12")
    live.stream.down_since = time.monotonic() - 5
    assert (live.problem() or "").startswith("market stream down for 5 s")
