"""ATR, +DI, -DI, DX and ADX with Wilder smoothing, vectorised in polars.

The definitions are TA-Lib's (the test oracle), including its seeding:
* TR_t = max(H-L, |H-C_{t-1}|, |L-C_{t-1}|); +DM_t = up move if it beats the down move and
  is positive (else 0); -DM likewise.
* ATR: first value at index n = mean(TR_1..TR_n); then ATR_t = ATR_{t-1} + (TR_t - ATR_{t-1})/n.
* DI: Wilder *sums* seeded with DM/TR over bars 1..n-1, updated S_t = S_{t-1} - S_{t-1}/n + x_t
  from bar n; +DI = 100 S(+DM)/S(TR) (0 when S(TR) is ~0: flat candles); first at index n.
* DX = 100 |+DI - -DI| / (+DI + -DI) (0 when both are 0); ADX first at 2n-1 = mean of DX
  over n..2n-1, then Wilder-averaged. Earlier indices are null.

Every Wilder recursion is an exponential mean with alpha = 1/n seeded at its first value,
which polars computes without a Python loop (``ewm_mean(adjust=False)``).
"""

from __future__ import annotations

import polars as pl

from fleet.strategy.domain.incremental import TA_ZERO

COLUMNS = ("atr", "plus_di", "minus_di", "dx", "adx")


def _wilder(values: pl.Expr, seed: pl.Expr, start: int, period: int) -> pl.Expr:
    """Exponential mean (alpha 1/period) of ``values`` seeded with ``seed`` at ``start``."""
    index = pl.int_range(pl.len())
    seeded = pl.when(index == start).then(seed).when(index > start).then(values)
    return seeded.ewm_mean(alpha=1 / period, adjust=False, ignore_nulls=True)


def _prepared(frame: pl.LazyFrame) -> pl.LazyFrame:
    high, low, close = pl.col("high"), pl.col("low"), pl.col("close")
    up, down = high - high.shift(1), low.shift(1) - low
    true_range = pl.max_horizontal(
        high - low, (high - close.shift(1)).abs(), (low - close.shift(1)).abs()
    )
    return frame.with_columns(
        tr=true_range,
        pdm=pl.when((up > down) & (up > 0)).then(up).otherwise(0.0),
        mdm=pl.when((down > up) & (down > 0)).then(down).otherwise(0.0),
    )


def _ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    return pl.when(denominator.abs() <= TA_ZERO).then(0.0).otherwise(100 * numerator / denominator)


def dmi(candles: pl.DataFrame, period: int = 14) -> pl.DataFrame:
    """``candles`` (high, low, close as floats, ascending) with atr, plus_di, minus_di, dx
    and adx added; null where TA-Lib has no value."""
    if period < 2:
        raise ValueError("period must be >= 2")
    index = pl.int_range(pl.len())

    def sums(column: str) -> pl.Expr:
        # S_t = S_{t-1}(1 - 1/n) + x_t is n times an exponential mean of x (alpha 1/n)
        # seeded at bar n-1 with sum(x_1..x_{n-1}) / n.
        seed = pl.col(column).slice(1, period - 1).sum() / period
        return _wilder(pl.col(column), seed, period - 1, period) * period

    atr_seed = pl.col("tr").slice(1, period).mean()
    lazy = (
        _prepared(candles.lazy())
        .with_columns(
            atr=_wilder(pl.col("tr"), atr_seed, period, period),
            s_tr=sums("tr"),
            s_pdm=sums("pdm"),
            s_mdm=sums("mdm"),
        )
        .with_columns(
            plus_di=_ratio(pl.col("s_pdm"), pl.col("s_tr")),
            minus_di=_ratio(pl.col("s_mdm"), pl.col("s_tr")),
        )
        .with_columns(
            dx=pl.when((pl.col("plus_di") + pl.col("minus_di")).abs() <= TA_ZERO)
            .then(0.0)
            .otherwise(
                100
                * (pl.col("plus_di") - pl.col("minus_di")).abs()
                / (pl.col("plus_di") + pl.col("minus_di"))
            ),
        )
    )
    adx_start = 2 * period - 1
    adx_seed = pl.col("dx").slice(period, period).mean()
    lazy = lazy.with_columns(adx=_wilder(pl.col("dx"), adx_seed, adx_start, period))
    lazy = lazy.with_columns(
        [
            pl.when(index >= period).then(pl.col(c)).otherwise(None).alias(c)
            for c in ("atr", "plus_di", "minus_di", "dx")
        ]
        + [pl.when(index >= adx_start).then(pl.col("adx")).otherwise(None).alias("adx")]
    )
    return lazy.drop("tr", "pdm", "mdm", "s_tr", "s_pdm", "s_mdm").collect()
