"""``fleet backtest`` through the real ``fleet`` command (entry points) on generated data."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

pytestmark = pytest.mark.unit
FLEET = [sys.executable, "-m", "fleet.cli", "backtest"]


def write_candles(path: Path, count: int = 600) -> None:
    rng = np.random.default_rng(3)
    drift = np.repeat(rng.choice([-0.6, 0.0, 0.6], count // 50 + 1), 50)[:count]
    close = 100 + np.cumsum(rng.normal(0, 0.5, count) + drift)
    frame = pl.DataFrame(
        {
            "open_time_ms": 1_700_000_000_000 + np.arange(count) * 300_000,
            "open": close - 0.1,
            "high": close + rng.uniform(0.1, 1, count),
            "low": close - rng.uniform(0.1, 1, count),
            "close": close,
            "volume": rng.uniform(1, 10, count),
        }
    )
    frame.write_csv(path)


def test_backtest_writes_one_row_per_candle_and_a_summary(tmp_path: Path) -> None:
    candles, out = tmp_path / "c.csv", tmp_path / "out.csv"
    write_candles(candles)
    done = subprocess.run(
        [*FLEET, "--candles", str(candles), "--out", str(out), "--min-confidence", "30"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = pl.read_csv(out)
    assert rows.height == 600
    assert set(rows.columns) >= {
        "open_time_ms",
        "close",
        "atr",
        "plus_di",
        "minus_di",
        "adx",
        "cross",
        "direction",
        "confidence",
        "signal",
    }
    assert rows["adx"].null_count() == 27  # 2 x 14 - 1 warm-up candles
    assert {"long", "short"} & set(rows["signal"].drop_nulls().to_list())
    assert "trades" in done.stdout and "max drawdown" in done.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("open_time_ms,open,high,low,close\n1,1,1,1,1\n", "missing column(s) volume"),
        ("open_time_ms,open,high,low,close,volume\n", "no candles"),
        (
            "open_time_ms,open,high,low,close,volume\n2,1,1,1,1,1\n1,1,1,1,1,1\n",
            "strictly increase",
        ),
        (
            "open_time_ms,open,high,low,close,volume\n1,1,1,1,1,1\n1,1,1,1,1,1\n",
            "strictly increase",
        ),
        (
            "open_time_ms,open,high,low,close,volume\n1,1,x,1,1,1\n",
            "high is not a number on line 2",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, content: str, message: str) -> None:
    candles = tmp_path / "bad.csv"
    candles.write_text(content)
    done = subprocess.run(
        [*FLEET, "--candles", str(candles), "--out", str(tmp_path / "o.csv")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
