"""The charts' candles: the strategy's window per market, read from the NATS KV bucket
``fleet_charts`` (the gateway may read it, never write it)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from nats.aio.client import Client
from nats.js.errors import BucketNotFoundError, KeyNotFoundError, NotFoundError

from fleet.eventstore.stream import CHARTS_BUCKET, chart_key
from fleet.gateway.schemas.charts import CandleOut


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _candle(row: dict[str, Any]) -> CandleOut:
    return CandleOut(
        open_time=datetime.fromtimestamp(row["open_ms"] / 1000, UTC),
        open=Decimal(str(row["open"])),
        high=Decimal(str(row["high"])),
        low=Decimal(str(row["low"])),
        close=Decimal(str(row["close"])),
        volume=Decimal(str(row["volume"])),
        closed=bool(row["closed"]),
        adx=_decimal(row.get("adx")),
        plus_di=_decimal(row.get("plus_di")),
        minus_di=_decimal(row.get("minus_di")),
    )


async def candles(nc: Client, symbol: str, timeframe: str, limit: int) -> list[CandleOut]:
    """The newest ``limit`` candles of the market, oldest first (none when not tracked)."""
    try:
        bucket = await nc.jetstream().key_value(CHARTS_BUCKET)
        entry = await bucket.get(chart_key(symbol, timeframe))
    except (BucketNotFoundError, KeyNotFoundError, NotFoundError):
        return []
    rows = json.loads(entry.value or b"{}").get("candles", [])
    return [_candle(row) for row in rows[-limit:]]
