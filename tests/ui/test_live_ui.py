"""The trader's dashboard is live: an event appended for him shows without a reload, the
header says LIVE, and a gateway restart shows "reconnecting" and then catches up."""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import expect

from fleet.events.notifications import NotificationCreated
from fleet.events.timeframes import DEFAULT_TIMEFRAME
from fleet.events.trading import AccountValued
from fleet.eventstore.stream import CHARTS_BUCKET

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack
    from tests.ui.conftest import OpenTab, Tab

pytestmark = pytest.mark.e2e
LATENCY_EVENTS = 100
# every frame's arrival, seen from the page's own live module (the same module instance)
RECORD_FRAMES = """async () => {
  const live = await import("/ui/js/live.js");
  window.fleetFrames = [];
  live.onFrame((frame) => window.fleetFrames.push([frame.seq, Date.now()]));
}"""


@pytest.fixture(scope="module")
def extra_services() -> tuple[str, ...]:
    return ()  # the dashboard reads the log; no order is placed here


async def valued(stack: Stack, user_id: str, balance: int) -> int:
    return await stack.append(
        "account",
        user_id,
        AccountValued(
            balance=Decimal(balance),
            equity=Decimal(balance),
            available_margin=Decimal(balance),
            unrealised_pnl=Decimal(0),
            valued_at=datetime.now(UTC),
        ),
    )


async def signed_in_trader(stack: Stack, admin: Session, open_tab: OpenTab) -> tuple[Tab, str]:
    account = await stack.create_user(admin, "trader")
    await stack.login(account)  # the first password change, through the API
    tab = await open_tab("trader")
    await tab.sign_in(account.username, account.password)
    await expect(tab.main.get_by_role("heading", level=1)).to_be_visible()
    return tab, account.user_id


async def test_the_dashboard_updates_without_reload_and_survives_a_restart(
    stack: Stack, admin: Session, open_tab: OpenTab
) -> None:
    tab, trader = await signed_in_trader(stack, admin, open_tab)
    live = tab.page.locator("#live")
    await expect(live).to_have_text("LIVE")
    await tab.page.evaluate(RECORD_FRAMES)
    balance = tab.page.get_by_test_id("balance")

    await valued(stack, trader, 12345)
    await expect(balance).to_have_text("12,345.00 USDT")  # no reload: the socket said so
    await tab.shot("live")

    gateway = stack.processes["gateway"]
    tab.outage = True
    gateway.stop()
    await expect(live).to_have_text("reconnecting…")
    # the polls fail too: a banner says so, the cards (and the bot's buttons) stay
    banner = tab.page.get_by_test_id("stale-banner")
    await expect(banner).to_contain_text("Live updates have failed", timeout=15_000)
    await expect(balance).to_have_text("12,345.00 USDT")
    await expect(tab.main.get_by_role("region", name="Bot", exact=True)).to_be_visible()
    await tab.shot("reconnecting")
    await valued(stack, trader, 23456)  # appended while the page has no gateway
    gateway.start()
    await expect(live).to_have_text("LIVE", timeout=30_000)
    await expect(balance).to_have_text("23,456.00 USDT")
    await expect(banner).to_be_hidden()
    await expect(tab.page.get_by_test_id("updated")).to_contain_text(
        re.compile(r"Updated (just now|\d+ s ago)")
    )
    await tab.check_clean()


async def frames_seen(tab: Tab, last: int) -> list[list[float]]:
    """The page's (seq, arrival ms) pairs once the frame of ``last`` arrived (a wait by
    polling: the page's CSP forbids Playwright's string evaluation)."""
    async with asyncio.timeout(30):
        while True:
            frames: list[list[float]] = await tab.page.evaluate("() => window.fleetFrames")
            if any(int(seq) == last for seq, _ in frames):
                return frames
            await asyncio.sleep(0.1)


async def test_append_to_frame_latency(stack: Stack, admin: Session, open_tab: OpenTab) -> None:
    tab, trader = await signed_in_trader(stack, admin, open_tab)
    await expect(tab.page.locator("#live")).to_have_text("LIVE")
    await tab.page.evaluate(RECORD_FRAMES)
    appended: dict[int, float] = {}
    for n in range(LATENCY_EVENTS):
        before = time.time() * 1000
        appended[await valued(stack, trader, 1000 + n)] = before
    last = max(appended)
    frames = await frames_seen(tab, last)
    delays = sorted(at - appended[int(seq)] for seq, at in frames if int(seq) in appended)
    assert len(delays) == LATENCY_EVENTS
    p50 = statistics.median(delays)
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    print(
        f"\nappend -> frame in the browser over {len(delays)} events: "
        f"p50 {p50:.0f} ms, p99 {p99:.0f} ms"
    )
    await expect(tab.page.get_by_test_id("balance")).to_have_text(
        f"{1000 + LATENCY_EVENTS - 1:,}.00 USDT"
    )


async def test_a_notification_frame_updates_the_bell(
    stack: Stack, admin: Session, open_tab: OpenTab
) -> None:
    tab, trader = await signed_in_trader(stack, admin, open_tab)
    await expect(tab.page.locator("#live")).to_have_text("LIVE")
    bell = tab.page.locator("#bell")
    await expect(bell).to_have_attribute("data-unread", "0")
    created = NotificationCreated(
        notification_id=str(uuid.uuid4()),
        recipient_id=trader,
        kind="bot_paused",
        title="Your bot was paused",
        body="paused by an admin: risk review",
        source_event_id=str(uuid.uuid4()),
    )
    await stack.append("notification", trader, created)  # as the notify service does
    await expect(bell).to_have_attribute("data-unread", "1")  # no reload: the socket said so
    await tab.shot("bell")
    await bell.click()
    await expect(tab.main.get_by_text("paused by an admin: risk review")).to_be_visible()
    # marking read needs the notify service: tests/api/test_notifications.py


def forming_window(close: float) -> bytes:
    """Two closed candles and a forming one closing at ``close``, as the strategy stores
    them in the charts bucket."""
    minute = 60_000
    start = int(time.time() * 1000) // minute * minute - 2 * minute
    candles = [
        {
            "open_ms": start + i * minute,
            "open": 50_000.0,
            "high": max(close, 50_100.0),
            "low": min(close, 49_900.0),
            "close": 50_050.0 if i < 2 else close,
            "volume": 1.5,
            "closed": i < 2,
        }
        for i in range(3)
    ]
    return json.dumps({"candles": candles}).encode()


async def test_the_forming_candle_moves_on_the_chart(
    stack: Stack, admin: Session, open_tab: OpenTab
) -> None:
    charts = await stack.nc.jetstream().key_value(CHARTS_BUCKET)
    key = f"BTC-USDT.{DEFAULT_TIMEFRAME}"
    await charts.put(key, forming_window(50_120.5))
    tab, trader = await signed_in_trader(stack, admin, open_tab)
    price = tab.main.get_by_test_id("price-chart-BTC-USDT")
    await expect(price).to_have_attribute("data-candles", "3")
    await expect(price).to_have_attribute("data-last-close", "50120.5")
    await charts.put(key, forming_window(50_180.0))  # the strategy's next tick
    await valued(stack, trader, 2500)  # a frame: the page redraws (else within 10 s)
    await expect(price).to_have_attribute("data-last-close", "50180", timeout=15_000)
    await expect(price).to_have_attribute("data-candles", "3")  # the same candle moved
    await tab.check_clean()
