"""The exchange's rules per symbol as :class:`fleet.risk.Instrument` values (price tick,
quantity step, minimums, maximum leverage), read from BingX's public contracts list,
kept for a day and read again after BingX answers an order with a precision error.

One fetch at a time: when a signal reaches a thousand users at once with an empty book,
one request is made and everyone waits for it (a thousand identical requests would have
hit BingX's market-data limit)."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from fleet.bingx import BingxClient
from fleet.bingx.models import Contract
from fleet.executor.errors import ExecutorError
from fleet.risk import Instrument

REFRESH_S = 86400.0


class UnknownSymbol(ExecutorError, LookupError):
    """Not a BingX perpetual contract open to API orders."""

    error_code = "unknown_symbol"


class ContractBook:
    """``rules(symbol)``: the :class:`Instrument` every price and size is rounded with."""

    def __init__(self, client: BingxClient) -> None:
        self._client = client
        self._rules: dict[str, Instrument] = {}
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    async def rules(self, symbol: str) -> Instrument:
        if symbol not in self._rules or self._stale:
            async with self._lock:
                if symbol not in self._rules or self._stale:
                    await self.refresh()
        found = self._rules.get(symbol)
        if found is None:
            raise UnknownSymbol(f"{symbol} is not a BingX perpetual contract open to API orders")
        return found

    async def price(self, symbol: str) -> Decimal:
        """The latest traded price (for re-sending an entry after a restart)."""
        return await self._client.latest_price(symbol)

    def expire(self) -> None:
        """BingX refused an order for its precision or minimums: read the list again
        before the next order (its tick or step may have changed)."""
        self._loaded_at = float("-inf")

    @property
    def _stale(self) -> bool:
        return time.monotonic() - self._loaded_at > REFRESH_S

    async def refresh(self) -> None:
        contracts = await self._client.contracts()
        # Offline contracts, and those closed to API orders, are not traded (API.md §4.1).
        self._rules = {c.symbol: instrument(c) for c in contracts if c.tradable}
        self._loaded_at = time.monotonic()


def instrument(contract: Contract) -> Instrument:
    """One contract row as an :class:`Instrument`."""
    return Instrument(
        quantity_step=contract.quantity_step,
        min_quantity=contract.min_quantity,
        min_notional=contract.min_notional or Decimal(0),
        max_leverage=min(contract.max_long_leverage, contract.max_short_leverage),
        price_tick=contract.price_tick,
        symbol=contract.symbol,
    )
