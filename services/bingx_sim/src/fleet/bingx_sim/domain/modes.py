"""How the simulator executes: at once or late and in parts, funding, precision rules.

One mode for every account (``POST /sim/modes``), optionally overridden per API key
(``POST /sim/modes`` with ``apiKey``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

FUNDING_EVERY_MS = 8 * 3_600_000  # BingX funds every 8 h (00:00, 08:00, 16:00 UTC)


@dataclass(frozen=True)
class ExecutionMode:
    """``fill_delay_ms`` 0 fills a MARKET order in its request (today's default); above 0 the
    order is accepted ``NEW`` and filled that many real milliseconds later, in
    ``partial_fills`` parts ``partial_gap_ms`` apart, each ``partial_spread`` (a fraction
    of the price) further from the mark than the last. ``precision`` "truncate" cuts
    prices and quantities to the contract's precision (API.md §4.0), "reject" refuses
    them with 110425. Funding: ``funding_rate`` of the position's value every 8 h of
    simulated time (longs pay a positive rate, shorts receive it). ``expire_after_parts``
    above 0 fills only that many parts of a delayed MARKET order and expires the rest
    (``EXPIRED``, partly filled), as BingX does when its price protection cuts an order
    short; no stop-loss is attached to such an order (the strictest reading of BingX)."""

    fill_delay_ms: int = 0
    partial_fills: int = 1
    partial_gap_ms: int = 100
    partial_spread: Decimal = Decimal("0.0002")
    funding_rate: Decimal = Decimal("0.0001")
    precision: str = "truncate"
    expire_after_parts: int = 0

    @property
    def immediate(self) -> bool:
        return self.fill_delay_ms == 0
