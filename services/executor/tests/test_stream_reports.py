"""Which user-stream reports reach the fill sink: a fill or an end does; BingX's NEW for a
Fleet order (every order gets one before its fill) changes nothing and stops at the
stream, without a task, the trader's lock or a save."""

import asyncio
from typing import Any, cast

import pytest

from fleet.events.trading import FundingPaid
from fleet.executor.domain.ids import client_order_id
from fleet.executor.ports import OrderReport
from fleet.executor.streams import UserStreams, accepted_only, fleet_report
from fleet.executor.traders import Trader

pytestmark = pytest.mark.unit

ORDER = client_order_id("signal-1", "u1", "entry")


def update(status: str, filled: str, **extra: str) -> dict[str, Any]:
    order = {"s": "BTC-USDT", "c": ORDER, "i": 7, "S": "BUY", "o": "MARKET", "q": "0.001"}
    order |= {"X": status, "x": "TRADE" if filled != "0" else status, "z": filled}
    return {"e": "ORDER_TRADE_UPDATE", "E": 1764576000100, "o": order | extra}


class Sink:
    def __init__(self) -> None:
        self.reports: list[OrderReport] = []

    async def on_report(self, _trader: Trader, report: OrderReport) -> None:
        self.reports.append(report)

    async def on_funding(self, _trader: Trader, _paid: list[FundingPaid]) -> None:
        return None

    def transfer_due(self, _user_id: str) -> None:
        return None


def reports_passed(*messages: dict[str, Any]) -> tuple[list[bool], list[str]]:
    async def run() -> tuple[list[bool], list[str]]:
        sink = Sink()
        streams = UserStreams("ws://unused", dict, lambda _t: asyncio.sleep(0), 1, fills=sink)
        trader = cast(Trader, type("T", (), {"user_id": "u1"})())
        handled = [streams._recorded(trader, message) for message in messages]
        await asyncio.sleep(0.01)  # the sink's work runs in the background
        return handled, [r.status for r in sink.reports]

    return asyncio.run(run())


def test_an_acceptance_stops_at_the_stream_and_a_fill_goes_on() -> None:
    accepted = update("NEW", "0")
    filled = update("FILLED", "0.001", ap="97000.5", l="0.001", L="97000.5", n="-0.05", rp="0")
    handled, passed = reports_passed(accepted, filled, update("CANCELED", "0"))
    assert handled == [True, True, True]  # all Fleet's: none wakes a reconcile
    assert passed == ["FILLED", "CANCELED"]


def test_what_counts_as_an_acceptance_only() -> None:
    def report(status: str, filled: str) -> OrderReport:
        found = fleet_report(update(status, filled))
        assert found is not None
        return found

    assert accepted_only(report("NEW", "0"))
    assert not accepted_only(report("PARTIALLY_FILLED", "0.0005"))
    assert not accepted_only(report("NEW", "0.0005"))  # a fill, whatever the status says
    assert not accepted_only(report("CANCELED", "0"))
