"""The equity history's arithmetic, checked against hand-computed cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from fleet.gateway.read_models.trading.equity import (
    DAILY,
    FIVE_MINUTES,
    HOURLY,
    EquityPoint,
    bucket_start,
    by_age,
    daily_pnl,
    drawdowns_pct,
    equity_at,
    max_drawdown_pct,
    return_pct,
    trade_figures,
)

NOW = datetime(2026, 12, 3, 16, 7, 30, tzinfo=UTC)


def _point(at: datetime, equity: str) -> EquityPoint:
    return EquityPoint(at, D(equity))


def test_buckets_start_on_the_clock() -> None:
    assert bucket_start(NOW, FIVE_MINUTES) == datetime(2026, 12, 3, 16, 5, tzinfo=UTC)
    assert bucket_start(NOW, HOURLY) == datetime(2026, 12, 3, 16, tzinfo=UTC)
    assert bucket_start(NOW, DAILY) == datetime(2026, 12, 3, tzinfo=UTC)


def test_each_age_is_drawn_from_its_resolution_only() -> None:
    recent = _point(NOW - timedelta(hours=1), "110")
    hour_3d = _point(NOW - timedelta(days=3), "105")
    hour_1h = _point(NOW - timedelta(hours=1), "999")  # covered by 5-min points: not drawn
    day_90d = _point(NOW - timedelta(days=90), "100")
    day_10d = _point(NOW - timedelta(days=10), "998")  # covered by hourly points: not drawn
    old_5m = _point(NOW - timedelta(days=5), "997")  # a 5-min point past its 2 days
    rows = [
        ("1d", day_10d),
        ("5m", recent),
        ("1h", hour_1h),
        ("1d", day_90d),
        ("1h", hour_3d),
        ("5m", old_5m),
    ]
    assert by_age(rows, NOW) == [day_90d, hour_3d, recent]


def test_drawdown_is_measured_from_the_running_peak() -> None:
    points = [_point(NOW, e) for e in ("100", "120", "90", "130", "117")]
    # 120 -> 90 is -25 %; 130 -> 117 is -10 %
    assert drawdowns_pct(points) == [D("0"), D("0"), D("-25.00"), D("0"), D("-10.00")]
    assert max_drawdown_pct(points) == D("-25.00")


def test_no_drawdown_when_only_rising_or_empty() -> None:
    assert max_drawdown_pct([_point(NOW, "1"), _point(NOW, "2")]) == D("0")
    assert max_drawdown_pct([]) == D("0")


def test_daily_pnl_is_close_to_close_and_the_first_day_from_its_opening() -> None:
    day1 = EquityPoint(datetime(2026, 12, 1, tzinfo=UTC), D("1050"), opening=D("1000"))
    day2 = EquityPoint(datetime(2026, 12, 2, tzinfo=UTC), D("1020"), opening=D("1049"))
    assert daily_pnl([day1, day2]) == [(day1.at, D("50")), (day2.at, D("-30"))]


def test_returns_in_percent() -> None:
    assert return_pct(D("1100"), D("1000")) == D("10.00")
    assert return_pct(D("990"), D("1000")) == D("-1.00")
    assert return_pct(D("5"), D("0")) is None
    assert return_pct(None, D("1000")) is None


def test_profit_factor_and_averages() -> None:
    # wins +30 +10, losses -8 -12: factor 40 / 20 = 2, avg win 20, avg loss -10
    figures = trade_figures(D("40"), D("-20"), wins=2, losses=2)
    assert figures.profit_factor == D("2.00")
    assert figures.average_win == D("20.00")
    assert figures.average_loss == D("-10.00")


def test_profit_factor_without_losses_is_none_not_a_division_by_zero() -> None:
    figures = trade_figures(D("15"), D("0"), wins=3, losses=0)
    assert figures.profit_factor is None
    assert figures.average_win == D("5.00")
    assert figures.average_loss is None
    assert trade_figures(D("0"), D("0"), 0, 0).average_win is None


def test_return_today_starts_at_the_traders_local_midnight() -> None:
    # equity 1000 until 04:00 UTC, then 1100; New York's midnight is 05:00 UTC (EST)
    day = datetime(2026, 12, 3, tzinfo=UTC)
    rows = [
        (FIVE_MINUTES.name, _point(day + timedelta(hours=3, minutes=55), "1000")),
        (FIVE_MINUTES.name, _point(day + timedelta(hours=4), "1100")),
        (FIVE_MINUTES.name, _point(day + timedelta(hours=16), "1210")),
        (HOURLY.name, _point(day + timedelta(hours=3), "1000")),
        (HOURLY.name, _point(day + timedelta(hours=4), "1100")),
        (DAILY.name, _point(day - timedelta(days=1), "990")),
        (DAILY.name, EquityPoint(day, D("1210"), D("995"))),
    ]
    utc_midnight = equity_at(rows, day)
    new_york_midnight = equity_at(rows, day + timedelta(hours=5))
    assert (utc_midnight, new_york_midnight) == (D("990"), D("1100"))
    assert return_pct(D("1210"), utc_midnight) == D("22.22")
    assert return_pct(D("1210"), new_york_midnight) == D("10.00")  # not UTC's +22.22 %
    # Tokyo's midnight (15:00 UTC the day before) falls before this history's last close
    assert equity_at(rows, day - timedelta(hours=9)) == D("990")


def test_equity_at_a_moment_before_any_close_is_the_first_value_seen() -> None:
    first = EquityPoint(datetime(2026, 12, 3, 10, tzinfo=UTC), D("1050"), D("1000"))
    assert equity_at([(FIVE_MINUTES.name, first)], first.at) == D("1000")
    assert equity_at([], first.at) is None
