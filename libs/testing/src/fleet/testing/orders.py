"""Orders as the executor intends them, for tests of the order path."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fleet.events.trading import OrderIntended


def btc_entry(digit: str = "1", quantity: Decimal | str = "0.01", **changes: Any) -> OrderIntended:
    """A 5x long MARKET entry of ``quantity`` BTC-USDT whose clientOrderID is ``fl``
    followed by 38 times ``digit`` (a valid Fleet id, the same for the same digit); any
    other field set by ``changes``."""
    fields: dict[str, Any] = {
        "client_order_id": "fl" + digit * 38,
        "signal_id": "s",
        "leg": "entry",
        "symbol": "BTC-USDT",
        "side": "BUY",
        "position_side": "LONG",
        "order_type": "MARKET",
        "quantity": Decimal(quantity),
        "leverage": 5,
    }
    return OrderIntended(**(fields | changes))
