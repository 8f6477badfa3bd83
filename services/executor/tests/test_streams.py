"""Which user-data events wake a reconciliation: what Fleet did not record itself."""

from typing import Any

import pytest

from fleet.executor.domain.ids import client_order_id
from fleet.executor.streams import wakes

OURS = client_order_id("signal-1", "u1", "entry")


def order_update(client_id: str, kind: str = "MARKET", status: str = "FILLED") -> dict[str, Any]:
    return {"e": "ORDER_TRADE_UPDATE", "o": {"c": client_id, "o": kind, "X": status}}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (order_update(OURS), False),  # our own entry or exit: the order flow recorded it
        (order_update(""), True),  # a market order placed by hand in BingX's app
        (order_update("", "STOP_MARKET"), True),  # an attached stop-loss fired
        (order_update(OURS, "STOP_MARKET"), True),
        (order_update("", "LIMIT", "NEW"), False),  # nothing moved yet
        (order_update("", "LIMIT", "PARTIALLY_FILLED"), True),
        ({"e": "ACCOUNT_UPDATE", "a": {"m": "ORDER"}}, False),  # comes with its order's update
        ({"e": "ACCOUNT_UPDATE", "a": {"m": "DEPOSIT"}}, True),
        ({"e": "ACCOUNT_UPDATE", "a": {"m": "FUNDING_FEE"}}, True),
        ({"e": "ACCOUNT_CONFIG_UPDATE", "ac": {"s": "BTC-USDT", "l": 5}}, False),
    ],
)
def test_what_wakes_the_owner(message: dict[str, Any], expected: bool) -> None:
    assert wakes(message) is expected
