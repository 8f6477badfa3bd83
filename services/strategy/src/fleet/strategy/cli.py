"""``fleet backtest``: registered through the ``fleet.commands`` entry point.

Heavy imports (polars) stay inside the function so that loading ``fleet`` stays fast, and
polars is the ``backtest`` extra (``fleet-strategy[backtest]``, in the dev environment):
the service image leaves it out, and there the command says so.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer


def backtest(  # noqa: PLR0913, PLR0917 - one parameter per command-line option
    candles: Annotated[Path, typer.Option(help="CSV: open_time_ms,open,high,low,close,volume")],
    out: Annotated[Path, typer.Option(help="CSV written with one row per input candle")],
    period: Annotated[int, typer.Option(min=2, max=200)] = 14,
    adx_threshold: Annotated[float, typer.Option(min=5, max=60)] = 25.0,
    min_confidence: Annotated[float, typer.Option(min=0, max=100)] = 60.0,
    risk_per_trade: Annotated[float, typer.Option(min=0.1, max=10)] = 2.0,
    leverage: Annotated[int, typer.Option(min=1, max=125)] = 5,
) -> None:
    """Run the live indicator, signal rule and risk engine over a candle file."""
    from rich.console import Console
    from rich.progress import Progress

    try:
        from fleet.strategy.backtest.candles import BadCandles, read_candles
        from fleet.strategy.backtest.simulate import BacktestSettings, run
    except ModuleNotFoundError as exc:
        if exc.name != "polars":
            raise
        typer.echo(
            "fleet backtest: needs polars (pip install 'fleet-strategy[backtest]'); "
            "the service image leaves it out",
            err=True,
        )
        raise typer.Exit(2) from None

    console = Console(stderr=True)
    try:
        frame = read_candles(candles)
    except BadCandles as exc:
        typer.echo(f"fleet backtest: {exc}", err=True)
        raise typer.Exit(2) from None
    settings = BacktestSettings(
        period, adx_threshold, min_confidence, Decimal(str(risk_per_trade)), leverage
    )
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("backtest", total=frame.height)
        rows, ledger = run(frame, settings, lambda done: bar.update(task, completed=done))
    rows.write_csv(out)
    wins = sum(1 for pnl in ledger.trades if pnl > 0)
    total_pct = (ledger.equity - settings.equity) / settings.equity * 100
    win_rate = wins / len(ledger.trades) * 100 if ledger.trades else 0.0
    typer.echo(
        f"candles {frame.height}  trades {len(ledger.trades)}  win rate {win_rate:.1f} %  "
        f"total PnL {total_pct:+.2f} %  max drawdown {ledger.max_drawdown_pct:.2f} %"
    )
