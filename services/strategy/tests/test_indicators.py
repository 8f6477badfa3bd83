"""The O(1) indicators equal TA-Lib (the reference) at every index, warm-up included."""

import numpy as np
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from fleet.strategy.domain.incremental import DmiState, update

pytestmark = pytest.mark.unit
REFERENCE = {
    "atr": talib.ATR,
    "plus_di": talib.PLUS_DI,
    "minus_di": talib.MINUS_DI,
    "dx": talib.DX,
    "adx": talib.ADX,
}


def series(kind: str, length: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    steps = rng.normal(0, 1, length)
    if kind == "trend":
        steps += 0.4
    close = 100 + np.cumsum(steps)
    high = close + rng.uniform(0, 1.5, length)
    low = close - rng.uniform(0, 1.5, length)
    if kind == "flat":
        high[40:80] = low[40:80] = close[40:80] = close[39]
    if kind == "gap":  # a missing stretch of candles shows as a jump
        close[60:] += 25
        high[60:] += 25
        low[60:] += 25
    return high, low, close


def incremental(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int
) -> dict[str, np.ndarray]:
    """The O(1) path run over a whole series: each indicator at every index (NaN during
    warm-up, as TA-Lib)."""
    state = DmiState(period=period)
    out = {name: np.full(len(close), np.nan) for name in REFERENCE}
    for i in range(len(close)):
        state, values = update(state, float(high[i]), float(low[i]), float(close[i]))
        for name in REFERENCE:
            value = getattr(values, name)
            if value is not None:
                out[name][i] = value
    return out


def assert_equals_talib(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int) -> None:
    mine = incremental(high, low, close, period)
    for name, reference in REFERENCE.items():
        expected = reference(high, low, close, period)
        assert np.array_equal(np.isnan(expected), np.isnan(mine[name])), name
        defined = ~np.isnan(expected)
        assert np.max(np.abs(mine[name][defined] - expected[defined])) < 1e-9, name


@pytest.mark.parametrize("kind", ["walk", "trend", "flat", "gap"])
@pytest.mark.parametrize("period", [2, 7, 14, 30])
def test_equals_talib_with_same_warm_up(kind: str, period: int) -> None:
    assert_equals_talib(*series(kind, 300, period), period)


def test_all_flat_candles_give_zeros_not_errors() -> None:
    flat = np.full(60, 5.0)
    out = incremental(flat, flat, flat, 14)
    assert list(out["adx"][27:]) == list(talib.ADX(flat, flat, flat, 14)[27:])
    assert set(out["plus_di"][~np.isnan(out["plus_di"])]) == {0.0}


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 10_000), st.integers(2, 30), st.sampled_from(["walk", "trend", "flat", "gap"])
)
def test_equals_talib_on_random_series(seed: int, period: int, kind: str) -> None:
    assert_equals_talib(*series(kind, 200, seed), period)
