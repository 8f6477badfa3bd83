"""The imported history aggregate records each past trade once."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from fleet.events import AggregateId
from fleet.events.history import ImportedTrade, TradeImported
from fleet.executor.domain.history import ImportedHistory


def _trade(n: int) -> ImportedTrade:
    return ImportedTrade(
        trade_id=f"legacy-{n}",
        source_id=str(n),
        symbol="BTC-USDT",
        direction="long",
        quantity=Decimal("0.01"),
        entry_price=Decimal(60000),
        exit_price=Decimal(61000),
        realised_pnl=Decimal(10),
        opened_at=datetime(2025, 1, 1, tzinfo=UTC),
        closed_at=datetime(2025, 1, 2, tzinfo=UTC),
    )


def test_each_trade_is_recorded_once() -> None:
    history = ImportedHistory(AggregateId("u1"))
    assert history.add("legacy", [_trade(1), _trade(2)]) == 2
    assert history.add("legacy", [_trade(2), _trade(3)]) == 1
    recorded = [e.trade.trade_id for e in history.pending if isinstance(e, TradeImported)]
    assert recorded == ["legacy-1", "legacy-2", "legacy-3"]


def test_a_replayed_history_knows_its_trades() -> None:
    first = ImportedHistory(AggregateId("u1"))
    first.add("bingx", [_trade(1)])
    again = ImportedHistory(AggregateId("u1"))
    for event in first.pending:
        again.apply(event)
    assert again.add("bingx", [_trade(1)]) == 0 and not again.pending
