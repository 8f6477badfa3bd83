"""Indicators equal TA-Lib (the reference) and the incremental path equals the batch."""

import numpy as np
import polars as pl
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from fleet.strategy.domain.incremental import DmiState, update
from fleet.strategy.domain.indicators import dmi

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


@pytest.mark.parametrize("kind", ["walk", "trend", "flat", "gap"])
@pytest.mark.parametrize("period", [2, 7, 14, 30])
def test_equals_talib_with_same_warm_up(kind: str, period: int) -> None:
    high, low, close = series(kind, 300, period)
    out = dmi(pl.DataFrame({"high": high, "low": low, "close": close}), period)
    for name, reference in REFERENCE.items():
        expected = reference(high, low, close, period)
        mine = out[name].to_numpy().astype(float)
        assert np.array_equal(np.isnan(expected), np.isnan(mine)), name
        defined = ~np.isnan(expected)
        assert np.max(np.abs(mine[defined] - expected[defined])) < 1e-9, name


def test_all_flat_candles_give_zeros_not_errors() -> None:
    flat = np.full(60, 5.0)
    out = dmi(pl.DataFrame({"high": flat, "low": flat, "close": flat}), 14)
    assert out["adx"].drop_nulls().to_list() == list(talib.ADX(flat, flat, flat, 14)[27:])
    assert set(out["plus_di"].drop_nulls().to_list()) == {0.0}


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 10_000), st.integers(2, 30), st.sampled_from(["walk", "trend", "flat", "gap"])
)
def test_incremental_equals_batch(seed: int, period: int, kind: str) -> None:
    high, low, close = series(kind, 200, seed)
    batch = dmi(pl.DataFrame({"high": high, "low": low, "close": close}), period)
    state = DmiState(period=period)
    for i in range(len(close)):
        state, values = update(state, float(high[i]), float(low[i]), float(close[i]))
        for name in REFERENCE:
            expected = batch[name][i]
            got = getattr(values, name)
            assert (expected is None) == (got is None), (i, name)
            if got is not None:
                assert abs(got - expected) < 1e-9, (i, name)
