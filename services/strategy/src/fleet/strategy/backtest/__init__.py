"""``fleet backtest``: the live indicator, rule and risk-engine code over a candle CSV."""
