"""The web UI as people use it, in headless Chromium against the real platform: an admin
creates a trader and a viewer and grants the viewer the trader; the trader connects his
simulator keys (the secret never reaches the page), saves settings (an out-of-range value
is refused next to its field), starts and pauses his bot and reads the risk engine's
reasons; the viewer reads the trader's dashboard with nothing to press; the admin uses
the kill switch, a trader's bot controls and the audit log."""

import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pyotp
import pytest
from playwright.async_api import expect

from fleet.events.trading import (
    AccountValued,
    FundingPaid,
    LiquidationPrice,
    PositionClosed,
    PositionOpened,
    SignalEvaluated,
    TransferRecorded,
)
from fleet.eventstore.stream import CHARTS_BUCKET
from fleet.testing.signals import price_of, publish, signal_at

if TYPE_CHECKING:
    from tests.api.conftest import Account, Session, Stack
    from tests.ui.conftest import OpenTab, Tab

pytestmark = pytest.mark.e2e
WAIT_MS = 20_000  # a live update comes every 5 s; a signal's decision takes a moment


async def simulator_keys(bingx_sim: Any) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        answer = await http.post("/sim/accounts", json={"balance": "2500"})
        assert answer.status_code == 201, answer.text
        return dict(answer.json())


async def publish_signal(stack: "Stack", bingx_sim: Any, candles_ago: int) -> str:
    """A BTC-USDT 5m long signal, appended as the strategy would."""
    close = await price_of(bingx_sim.url, "BTC-USDT")
    candle = int(time.time() * 1000) // 300_000 * 300_000 - 300_000 * candles_ago
    return await publish(stack.store, signal_at(close, candle_open_ms=candle))


async def create_user(tab: "Tab", role: str) -> tuple[str, str]:
    username = f"ui-{role}-{uuid.uuid4().hex[:6]}"
    password = f"a long enough passphrase {uuid.uuid4().hex[:6]}"
    form = tab.page.get_by_role("form", name="Create a user")
    await form.get_by_label("Username").fill(username)
    await form.get_by_label("Email").fill(f"{username}@example.com")
    await form.get_by_label("Initial password").fill(password)
    await form.get_by_label("Role").select_option(role)
    await form.get_by_role("button", name="Create user").click()
    await expect(tab.notices).to_contain_text(f"User {username} created")
    return username, password


async def test_sign_in_refusals_show_the_apis_message(
    stack: "Stack", admin: "Session", open_tab: "OpenTab"
) -> None:
    account: Account = await stack.create_user(admin, "viewer")
    tab = await open_tab("refused")
    error = tab.page.locator(".form-error")
    await tab.sign_in(account.username, "not the password at all")
    await expect(error).to_have_text("wrong username or password")
    for _ in range(6):  # 3 failures are free, then the back-off starts
        await tab.sign_in(account.username, "not the password at all")
        await expect(error).not_to_be_empty()
        if "too many failed attempts" in await error.inner_text():
            break
    await expect(error).to_contain_text("too many failed attempts; try again later (try again in")
    await expect(tab.page.get_by_label("Password", exact=True)).to_have_value("")
    await tab.shot("throttled")


async def admin_sets_up(tab: "Tab") -> dict[str, tuple[str, str]]:
    """The admin creates a trader and a viewer, grants the viewer the trader and resets
    the viewer's password (which the viewer must change at his first sign-in)."""
    await tab.go("Users")
    people = {role: await create_user(tab, role) for role in ("trader", "viewer")}
    await expect(tab.main.get_by_role("table")).to_contain_text(people["viewer"][0])
    await tab.shot("users")
    search = tab.page.get_by_role("search", name="Find users")
    await search.get_by_label("Search").fill(people["viewer"][0])
    await search.get_by_role("button", name="Apply").click()
    await tab.main.get_by_role("link", name=people["viewer"][0]).click()
    grant = tab.page.get_by_role("form", name="Grant a trader")
    await grant.get_by_label("Trader").select_option(label=people["trader"][0])
    await grant.get_by_role("button", name="Grant read access").click()
    await expect(tab.main.get_by_role("table")).to_contain_text(people["trader"][0])
    reset = tab.page.get_by_role("form", name="Reset password")
    viewer_password = f"reset by the admin {uuid.uuid4().hex[:6]}"
    await reset.get_by_label("New password").fill(viewer_password)
    await reset.get_by_role("button", name="Reset password").click()
    await expect(tab.notices).to_contain_text("Password of")
    people["viewer"] = (people["viewer"][0], viewer_password)
    await tab.shot("viewer-page")
    return people


async def trader_connects(tab: "Tab", keys: dict[str, str]) -> None:
    await tab.go("BingX connection")
    await expect(tab.main.get_by_test_id("egress-addresses")).to_contain_text("ask an admin")
    form = tab.page.get_by_role("form", name="Connect BingX")
    await form.get_by_label("API key").fill(keys["apiKey"])
    await form.get_by_label("API secret").fill("not the secret at all 0123")
    await form.get_by_role("button", name="Connect and verify").click()
    refusal = form.locator('[data-field="api_secret"] .field-error')
    await expect(refusal).to_contain_text("letters and digits")
    await expect(form.get_by_label("API key")).to_have_value(keys["apiKey"])  # kept
    await form.get_by_role("button", name="Show secret").click()
    await expect(form.get_by_label("API secret")).to_have_attribute("type", "text")
    await form.get_by_label("API key").fill(keys["apiKey"])
    await form.get_by_label("API secret").fill(keys["secretKey"])
    await form.get_by_role("button", name="Connect and verify").click()
    await expect(tab.main).to_contain_text("BingX account connected and verified")
    await expect(tab.main.locator(".warnings")).to_contain_text("IP whitelist")
    await expect(tab.main.get_by_test_id("api-key")).to_have_text(f"•••• {keys['apiKey'][-4:]}")
    await expect(tab.main.get_by_test_id("environment").first).to_have_text("LIVE")
    await expect(form.get_by_label("API secret")).to_have_value("")
    html = await tab.page.content()
    assert keys["secretKey"] not in html and keys["apiKey"] not in html
    stored = await tab.page.evaluate(
        "() => JSON.stringify([{...localStorage}, {...sessionStorage}, document.cookie])"
    )
    assert keys["secretKey"] not in stored and keys["apiKey"] not in stored
    await tab.press("Test connection")
    await expect(tab.notices).to_contain_text("BingX connection verified: balance 2,500")
    # a verified key offers its BingX history (this simulator account has none yet)
    await tab.press("Import my BingX history")
    status = tab.main.get_by_test_id("history-import-status")
    await expect(status).to_have_text("done", timeout=60_000)
    await expect(tab.main.get_by_test_id("history-import")).to_contain_text("13 of 13")
    await tab.shot("connection")


async def start_waits_for(tab: "Tab", reason: str) -> None:
    """The dashboard's Start button is disabled, with the step it waits for beside it."""
    await tab.go("Dashboard")
    start = tab.main.get_by_role("button", name="Start bot")
    await expect(start).to_be_disabled()
    await expect(start).to_have_accessible_description(re.compile(reason))
    await expect(tab.main.get_by_test_id("start-blocked")).to_contain_text(reason)


async def trader_saves_settings(tab: "Tab") -> None:
    await tab.go("Settings")
    onboarding = tab.main.get_by_test_id("onboarding")
    await expect(onboarding.locator("li.done")).to_have_text(["✓ Done: Connect your BingX key"])
    await expect(tab.main.get_by_test_id("start-reason")).to_have_text(
        "Start is possible once trading is enabled below."
    )
    form = tab.page.get_by_role("form", name="Trading settings")
    await form.get_by_label("Leverage").fill("50")
    await expect(form.get_by_test_id("leverage-warning")).to_contain_text("High leverage")
    await form.get_by_label("Leverage").fill("5")
    await expect(form.get_by_test_id("leverage-warning")).to_be_hidden()
    await form.get_by_label("Maximum open positions").fill("99")
    await form.get_by_role("button", name="Save settings").click()
    refused = form.locator('[data-field="max_positions"] .field-error')
    await expect(refused).to_contain_text("less than or equal to 50")
    await expect(form.get_by_label("Maximum open positions")).to_have_attribute(
        "aria-invalid", "true"
    )
    await tab.shot("settings-refused")
    await form.get_by_label("Maximum open positions").fill("3")
    await form.get_by_label("Trading enabled").check()
    await form.get_by_role("button", name="Save settings").click()
    await expect(tab.notices).to_contain_text("Settings saved")
    await expect(form.locator(".field-error:not(:empty)")).to_have_count(0)


async def trader_trades(tab: "Tab", stack: "Stack", bingx_sim: Any) -> None:
    await tab.go("Dashboard")
    await expect(tab.main.get_by_test_id("balance")).to_contain_text("2,500")
    await tab.press("Start bot")
    bot = tab.main.get_by_role("region", name="Bot", exact=True)
    await expect(bot.locator(".badge")).to_have_text("running")
    await publish_signal(stack, bingx_sim, candles_ago=1)
    decisions = tab.main.get_by_role("region", name="Latest risk decisions")
    await expect(decisions.locator("tbody tr")).to_have_count(1, timeout=WAIT_MS)
    await expect(decisions).to_contain_text("entry")
    await tab.main.locator("#bot-reason").fill("lunch break")
    await tab.press("Pause")
    await expect(bot.locator(".badge")).to_have_text("paused")
    await expect(bot.get_by_test_id("pause-reason")).to_have_text("lunch break")
    await publish_signal(stack, bingx_sim, candles_ago=0)
    await expect(decisions.locator("tbody tr")).to_have_count(2, timeout=WAIT_MS)
    await expect(decisions).to_contain_text("skip")
    await trader_closes_his_position(tab)
    await tab.shot("dashboard")
    await tab.page.set_viewport_size({"width": 390, "height": 844})
    await menu_fits_a_phone(tab)
    await tab.shot("dashboard-phone")
    await tab.page.set_viewport_size({"width": 1280, "height": 860})
    await tab.go("Trades & sessions")
    sessions = tab.main.get_by_role("region", name="Trading sessions")
    await expect(sessions.locator("tbody tr")).to_have_count(1)
    filters = tab.page.get_by_role("search", name="Filter trades")
    await filters.get_by_label("Symbol").fill("BTC/USDT")
    await filters.get_by_role("button", name="Apply").click()
    await expect(filters.locator('[data-field="symbol"] .field-error')).to_contain_text("pattern")
    await filters.get_by_label("Symbol").fill("eth-usdt")
    await filters.get_by_label("Closed from").fill("2024-01-01")
    await filters.get_by_role("button", name="Apply").click()
    trades = tab.main.get_by_role("region", name="Closed trades")
    await expect(trades).to_contain_text("No closed trade matches.")
    download = trades.get_by_role("link", name="Download CSV")
    await expect(download).to_have_attribute("href", re.compile(r"^/api/trades\.csv\?"))
    assert "symbol=ETH-USDT" in str(await download.get_attribute("href"))
    await tab.go("My account")
    await expect(tab.main).to_contain_text("Sign out everywhere")
    await access_tokens(tab)
    await tab.go("Risk decisions")
    filters = tab.page.get_by_role("search", name="Filter decisions")
    await filters.get_by_label("Routine skips").select_option("show")  # none folded
    await filters.get_by_role("button", name="Apply").click()
    rows = tab.main.locator("tbody tr:not(.folded)")
    await expect(rows).to_have_count(2)
    answer = await tab.page.request.get("/api/decisions")
    for row, decision in zip(await rows.all(), (await answer.json())["items"], strict=True):
        await expect(row.locator(".reason")).to_have_text(decision["reason"])
    await tab.shot("decisions")


async def trader_closes_his_position(tab: "Tab") -> None:
    """The entry's position has a Close button; confirmed, BingX closes it."""
    positions = tab.main.get_by_role("region", name="Open positions")
    await expect(positions.locator("tbody tr")).to_have_count(1, timeout=WAIT_MS)
    await expect(positions.get_by_role("button", name="Flatten all")).to_be_visible()
    await positions.get_by_role("button", name="Close BTC-USDT").click()
    await tab.confirm()
    await expect(tab.notices).to_contain_text("Closing BTC-USDT")
    await expect(positions).to_contain_text("No open position.", timeout=WAIT_MS)
    answer = await tab.page.request.get("/api/trades")
    [closed] = (await answer.json())["items"]
    assert (closed["symbol"], closed["close_reason"]) == ("BTC-USDT", "flatten")


async def access_tokens(tab: "Tab") -> None:
    """Create a token with its scope and expiry, see it once, use it, revoke it."""
    form = tab.main.get_by_role("form", name="Create an access token")
    await form.get_by_label("Name").fill("ui script")
    await form.get_by_label("Scope").select_option("read")
    await form.get_by_label("Expires after (days)").fill("30")
    await form.get_by_role("button", name="Create token").click()
    shown = tab.main.locator(".token-value")
    await expect(shown).to_have_text(re.compile(r"^\S{20,}$"))
    token = await shown.inner_text()
    listed = tab.main.get_by_role("row").filter(has_text="ui script")
    await expect(listed).to_contain_text("active")
    answer = await tab.page.request.get("/api/tokens")
    (mine,) = [t for t in await answer.json() if t["name"] == "ui script"]
    life = datetime.fromisoformat(mine["expires_at"]) - datetime.fromisoformat(mine["created_at"])
    assert round(life.total_seconds() / 86400) == 30
    bearer = {"Authorization": f"Bearer {token}"}
    origin = "/".join(tab.page.url.split("/")[:3])  # no cookie: the token alone
    async with httpx.AsyncClient(base_url=origin) as http:
        assert (await http.get("/api/status", headers=bearer)).status_code == 200
        await listed.get_by_role("button", name="Revoke ui script").click()
        await tab.confirm()
        await expect(listed).to_contain_text("revoked")
        assert (await http.get("/api/status", headers=bearer)).status_code == 401


async def admin_signs_in(tab: "Tab", stack: "Stack", account: "Account") -> None:
    """The admin signs in with his code; without two-factor authentication yet (this test
    alone), the UI shows him nothing but its set-up first: QR code, first code, recovery
    codes."""
    await tab.sign_in(account.username, account.password)
    code = tab.page.get_by_label("Authentication code")
    if account.totp_secret:
        await expect(code).to_be_visible()
        await code.fill(await account.totp_code())
        await tab.page.get_by_role("button", name="Sign in").click()
        return
    await expect(
        tab.main.get_by_role("heading", name="Set up two-factor authentication")
    ).to_be_visible()
    await expect(tab.page.get_by_role("navigation", name="Main").get_by_role("link")).to_have_count(
        0
    )
    await tab.main.get_by_role("button", name="Set up two-factor authentication").click()
    await expect(
        tab.main.get_by_role("img", name="QR code of your two-factor secret")
    ).to_be_visible()
    secret = (await tab.main.get_by_test_id("totp-secret").text_content() or "").strip()
    stack.shown_once.add(secret)
    totp = pyotp.TOTP(secret)
    step = totp.timecode(datetime.now(UTC))
    await code.fill(totp.generate_otp(step))
    await tab.main.get_by_role("button", name="Turn on").click()
    await expect(tab.main.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    account.totp_secret = secret
    account.totp_step = step  # the confirming code is used: the next sign-in needs another
    await tab.main.get_by_role("button", name="I have saved them").click()


async def first_sign_in(tab: "Tab", account: tuple[str, str]) -> None:
    """A user an admin created chooses his own password before anything else."""
    await tab.sign_in(*account)
    await expect(tab.main.get_by_role("heading", name="Choose a new password")).to_be_visible()
    await tab.page.get_by_label("Current password").fill(account[1])
    new = f"tulip meadow {uuid.uuid4().hex[:12]} harbour"
    await tab.page.get_by_label("New password", exact=True).fill(new)
    await tab.page.get_by_label("New password again").fill(new)
    await tab.page.get_by_role("button", name="Change password").click()


async def viewer_reads(tab: "Tab", viewer: tuple[str, str], trader: str) -> None:
    await first_sign_in(tab, viewer)
    await tab.main.get_by_role("link", name=trader).click()
    await expect(tab.main.get_by_role("heading", level=1)).to_have_text(f"Dashboard of {trader}")
    shown = tab.main.get_by_test_id("balance")
    await expect(shown).to_contain_text("USDT")
    answer = await tab.page.request.get(f"/api/viewer/traders/{await trader_id(tab)}/dashboard")
    balance = Decimal((await answer.json())["account"]["balance"])
    cents = balance.quantize(Decimal("0.01"), ROUND_HALF_UP)
    await expect(shown).to_have_text(f"{cents:,} USDT")  # money to 2 places, grouped
    bot = tab.main.get_by_role("region", name="Bot", exact=True)
    await expect(bot.locator(".badge")).to_have_text("paused")
    # nothing to change: the only controls filter and page the decisions
    changing = await tab.main.evaluate(
        """main => [...main.querySelectorAll("button, input, select, textarea, form")]
            .filter(el => !el.closest('[role=search], nav.pager')).map(el => el.outerHTML)"""
    )
    assert changing == [], f"a viewer sees {changing}"
    await decisions_fold_and_filter(tab, "Risk decisions")
    await tab.shot("dashboard")
    await tab.page.emulate_media(color_scheme="dark")
    await tab.shot("dashboard-dark")
    await tab.page.emulate_media(color_scheme="light")


async def decisions_fold_and_filter(tab: "Tab", title: str) -> None:
    """The decisions of the trader (an entry, then a skip while paused) as he reads them:
    filtered by type through the search form."""
    decisions = tab.main.get_by_role("region", name=title, exact=True)
    await expect(decisions.locator("tbody")).to_contain_text("entry")
    await expect(decisions.locator("tbody")).to_contain_text("skip")
    search = decisions.get_by_role("search", name="Filter decisions")
    await expect(search.get_by_label("Routine skips")).to_have_value("fold")
    await search.get_by_label("Type").select_option("skip")
    await search.get_by_role("button", name="Apply").click()
    await expect(decisions.locator("tbody")).not_to_contain_text("entry")
    await expect(decisions.locator("tbody")).to_contain_text("skip")
    await search.get_by_label("Type").select_option("")
    await search.get_by_role("button", name="Apply").click()
    await expect(decisions.locator("tbody")).to_contain_text("entry")


async def trader_id(tab: "Tab") -> str:
    return tab.page.url.rsplit("/", 1)[1]


async def test_admin_trader_and_viewer(stack: "Stack", open_tab: "OpenTab", bingx_sim: Any) -> None:
    assert stack.admin is not None
    boss = await open_tab("admin")
    await admin_signs_in(boss, stack, stack.admin)
    await expect(boss.main.get_by_role("heading", name="Overview")).to_be_visible()
    people = await admin_sets_up(boss)

    trader = await open_tab("trader")
    await first_sign_in(trader, people["trader"])
    await expect(trader.main.get_by_role("heading", level=1)).to_contain_text("Dashboard of")
    await start_waits_for(trader, "BingX key is connected")
    await trader_connects(trader, await simulator_keys(bingx_sim))
    await start_waits_for(trader, "trading is enabled")
    await trader_saves_settings(trader)
    await trader_trades(trader, stack, bingx_sim)

    viewer = await open_tab("viewer")
    await viewer_reads(viewer, people["viewer"], people["trader"][0])

    await admin_acts(boss, people["trader"][0])
    await trader_leaves(trader)
    await viewer.go("Security log")  # her sign-ins and this very session
    await expect(viewer.main.get_by_role("cell", name="this browser")).to_be_visible()
    await expect(viewer.main.get_by_role("cell", name="Success").first).to_be_visible()
    await viewer.shot("security-log")
    await viewer.go("My account")
    await viewer.press("Sign out everywhere")
    await viewer.confirm()
    await expect(viewer.main.get_by_role("heading", name="Sign in to Fleet")).to_be_visible()


async def trader_leaves(tab: "Tab") -> None:
    """Disconnect BingX (after a confirmation), then sign out."""
    await tab.go("BingX connection")
    await tab.press("Disconnect")
    await tab.confirm()
    await expect(tab.notices).to_contain_text("BingX disconnected")
    stored = tab.main.get_by_role("region", name="Your connection")
    await expect(stored.get_by_test_id("credential-status")).to_have_text("disconnected")
    await tab.page.get_by_role("button", name="Sign out").click()
    await expect(tab.main.get_by_role("heading", name="Sign in to Fleet")).to_be_visible()
    assert (await tab.page.request.get("/api/status")).status == 401  # the session ended


async def admin_resumes_all(tab: "Tab") -> None:
    """The kill switch halts trading (one trading.halted; the bot keeps running, exits
    only): a banner says it is engaged until Resume all lifts it (pressed again while
    halted, it changes nothing)."""
    await tab.go("Overview")
    await tab.press("Kill switch: halt trading")
    await tab.confirm()
    await expect(tab.notices).to_contain_text("Kill switch: trading was halted already")
    banner = tab.main.get_by_test_id("kill-switch-banner")
    await expect(banner).to_contain_text("Kill switch engaged: Trading halted: drill")
    await tab.shot("kill-switch-engaged")
    await banner.get_by_role("button", name="Resume all").click()
    await tab.confirm()
    await expect(tab.notices).to_contain_text("Resume all: trading resumed, 0 bot(s) resumed")
    await expect(banner).to_have_count(0)


async def menu_fits_a_phone(tab: "Tab") -> None:
    """At 390 px every item of the main menu is on screen (none cut off or scrolled)."""
    links = tab.page.get_by_role("navigation", name="Main").get_by_role("link")
    assert await links.count() >= 5
    width = tab.page.viewport_size["width"] if tab.page.viewport_size else 390
    for link in await links.all():
        await expect(link).to_be_visible()
        box = await link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    sideways = await tab.page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
    assert not sideways, "the page scrolls sideways on a phone"


async def admin_acts(tab: "Tab", trader: str) -> None:
    """Kill switch, the trader's bot and positions from his page, the audit log."""
    await tab.go("Overview")
    await expect(tab.main.get_by_role("table")).to_contain_text(trader)
    await tab.main.get_by_label("Reason").fill("drill")
    await tab.press("Kill switch: halt trading")
    await tab.confirm()
    await expect(tab.notices).to_contain_text("Kill switch: trading halted")
    banner = tab.main.get_by_test_id("kill-switch-banner")
    await expect(banner).to_contain_text("Kill switch engaged: Trading halted: drill")
    await tab.main.get_by_label("Show").select_option("paused")  # his lunch break, not the halt
    await expect(tab.main.get_by_role("table")).to_contain_text(trader)
    await tab.main.get_by_label("Show").select_option("failing")
    await expect(tab.main.get_by_text("No trader matches.")).to_be_visible()
    await tab.main.get_by_label("Show").select_option("")
    await expect(tab.main.get_by_role("table")).to_contain_text(trader)
    await tab.shot("overview")
    await tab.main.get_by_role("link", name=trader).click()
    bot = tab.main.get_by_role("region", name="Bot", exact=True)
    await expect(bot.locator(".badge")).to_have_text("paused")
    await tab.press("Resume")
    await expect(bot.locator(".badge")).to_have_text("running")
    await tab.press("Flatten his positions")
    await tab.confirm()
    await expect(tab.notices).to_contain_text(f"Closing the positions of {trader}")
    await decisions_fold_and_filter(tab, "Every risk decision")
    await tab.shot("trader-page")
    await admin_resumes_all(tab)
    await tab.go("Audit log")
    search = tab.page.get_by_role("search", name="Filter the audit log")
    await expect(search.get_by_label("Action")).to_have_value("")  # not "false"
    await expect(tab.main.locator("tbody tr").first).to_be_visible()  # unfiltered: entries
    await search.get_by_label("Action").fill("admin.bot.")
    await search.get_by_role("button", name="Apply").click()
    await expect(tab.main.locator("tbody tr").first).to_contain_text("admin.bot.resume")
    await expect(tab.main.locator("tbody")).not_to_contain_text("auth.login")
    await tab.shot("audit")
    await tab.go("System")
    await expect(tab.main.get_by_role("heading", name="System")).to_be_visible()
    services = tab.main.get_by_role("region", name="Services")
    await expect(services.get_by_role("table")).to_contain_text("gateway")
    await expect(tab.main.get_by_label("Symbols traders may choose")).to_be_visible()
    await tab.shot("system")


SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
LIQUIDATION = LiquidationPrice(symbol="BTC-USDT", direction="long", price=Decimal("41230.5"))
FIVE_MIN_MS = 300_000


def _market_window(now_ms: int, count: int = 60) -> dict[str, Any]:
    """A BTC-USDT 5m window as the strategy stores it: rising then falling, +DI and -DI
    crossing twice (two signals), the last candle forming."""
    first = (now_ms // FIVE_MIN_MS - count + 1) * FIVE_MIN_MS
    candles = []
    for i in range(count):
        close = 50_000 + 40 * (i if i < 35 else 70 - i)
        spread = 10.0 * (i - 30) if i < 35 else 10.0 * (35 - i) + 150
        candles.append(
            {
                "open_ms": first + i * FIVE_MIN_MS,
                "open": close - 15,
                "high": close + 30.5,  # BingX's precision here: one decimal
                "low": close - 35,
                "close": close,
                "volume": 12.5,
                "closed": i < count - 1,
                "adx": None if i < 27 or i == count - 1 else 22.0 + (i % 9),
                "plus_di": None if i < 14 else 25 + spread / 2,
                "minus_di": None if i < 14 else 25 - spread / 2,
            }
        )
    return {"candles": candles}


def _decisions() -> list[SignalEvaluated]:
    """An entry, then three routine skips (no DI cross) as the risk engine records them."""
    entry = SignalEvaluated(
        signal_id="s-entry",
        symbol="BTC-USDT",
        decision="entry",
        code="entry",
        reason="entry: up cross, long BTC-USDT",
        numbers={"quantity": "0.02"},
    )
    skips = [
        SignalEvaluated(
            signal_id=f"s-skip-{i}",
            symbol="BTC-USDT",
            decision="skip",
            code="no_cross",
            reason="no order: no DI cross on this candle",
            numbers={},
        )
        for i in range(3)
    ]
    return [entry, *skips]


async def positions_are_valued(tab: "Tab") -> None:
    """Mark price, PnL in USDT and %, size and margin, risk to the stop, the liquidation
    price (BingX's, from the last valuation), open risk; the
    prices on the market's precision (one decimal), money to two places with its sign."""
    positions = tab.main.get_by_role("region", name="Open positions")
    row = positions.locator("tbody tr")
    await expect(row).to_have_count(1)
    cells = {
        "Entry": "51,100.0",
        "Mark": "50,440.0",  # the forming candle's close
        "Unrealised PnL": "-13.20 USDT -6.46 %",  # (50,440 - 51,100) x 0.02, of the margin
        "Size / margin": "1,022.00 USDT 204.40 USDT",
        "Stop": "50,300.0",
        "Liquidation": "41,230.5",
        "At risk to stop": "2.80 USDT",  # (50,440 - 50,300) x 0.02
    }
    for label, text in cells.items():
        cell = row.locator(f'td[data-label="{label}"]')
        await expect(cell).to_have_text(text, use_inner_text=True)
    await expect(positions.get_by_test_id("open-risk")).to_contain_text("2.80 USDT")
    white_space = await row.locator('td[data-label="At risk to stop"]').evaluate(
        "(cell) => getComputedStyle(cell).whiteSpace"
    )
    assert white_space == "nowrap"


async def test_trader_dashboard_charts_have_data(
    stack: "Stack", admin: "Session", open_tab: "OpenTab"
) -> None:
    account = await stack.create_user(admin, "trader")
    await stack.login(account)  # chooses his password at once
    now = datetime.now(UTC)
    window = _market_window(int(now.timestamp() * 1000))
    charts = await stack.nc.jetstream().key_value(CHARTS_BUCKET)
    await charts.put("BTC-USDT.5m", json.dumps(window).encode())
    entry_at = now - timedelta(minutes=100)
    trade = {"symbol": "BTC-USDT", "position_side": "LONG", "quantity": Decimal("0.02")}
    closed = {**trade, "trade_id": "c1", "entry_price": Decimal(50_600)}
    await stack.append(
        "account",
        account.user_id,
        PositionOpened(**closed, direction="long", leverage=5, opened_at=entry_at),
        PositionClosed(
            **closed,
            exit_price=Decimal(51_000),
            realised_pnl=Decimal(8),
            closed_at=entry_at + timedelta(minutes=30),
            reason="opposite signal",
        ),
        PositionOpened(
            **trade,
            trade_id="o1",
            direction="long",
            entry_price=Decimal(51_100),
            stop_price=Decimal(50_300),
            leverage=5,
            opened_at=now - timedelta(minutes=20),
        ),
    )
    await stack.append("account", account.user_id, *_decisions())
    for equity, age in (
        ("2500", timedelta(days=4)),
        ("2540", timedelta(days=1)),
        ("2508", timedelta(0)),
    ):
        valued = AccountValued(
            balance=Decimal(equity),
            equity=Decimal(equity),
            available_margin=Decimal(equity),
            unrealised_pnl=Decimal(0),
            valued_at=now - age,
            # BingX's liquidation price of the open long, as the executor records it
            liquidation_prices=[LIQUIDATION] if not age else [],
        )
        await stack.append("account", account.user_id, valued)

    tab = await open_tab("charts")
    await tab.sign_in(account.username, account.password)
    price = tab.main.get_by_test_id("price-chart-BTC-USDT")
    await expect(price).to_have_attribute("data-candles", "60")
    await expect(price).to_have_attribute("data-price-lines", "2")  # entry and stop
    assert int(await price.get_attribute("data-indicators") or 0) == 32
    # two signals (DI crosses), one entry and exit closed, one entry open
    await expect(price).to_have_attribute("data-markers", "5")
    curve = tab.main.get_by_test_id("equity-chart")
    await expect(curve).to_have_attribute("data-points", "3")
    await expect(curve).to_have_attribute("data-max-drawdown", "-1.26")
    assert (
        int(await tab.main.get_by_test_id("daily-pnl-chart").get_attribute("data-days") or 0) >= 2
    )
    statistics = tab.main.get_by_role("region", name="Statistics")
    await expect(statistics).to_contain_text("Max drawdown")
    await expect(statistics).to_contain_text(re.compile(r"PnL all time\s*\+8\.00\sUSDT"))
    await positions_are_valued(tab)
    feed = tab.main.get_by_role("region", name="Latest risk decisions")
    await expect(feed.locator("tbody tr")).to_have_count(2)  # three routine skips, folded
    await expect(feed.get_by_test_id("routine-skips")).to_contain_text("3 routine skips")
    await expect(feed.locator("tbody tr").nth(1)).to_contain_text("entry")
    await expect(feed.locator("tbody tr").nth(1)).to_contain_text(re.compile(r"\d+ s ago|just now"))
    await expect(tab.main.get_by_role("region", name="Recent trades")).to_contain_text(
        "opposite signal"
    )
    await expect(tab.main.get_by_role("region", name="Current session")).to_be_visible()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, size in (("desktop", (1400, 1000)), ("phone", (390, 844))):
        await tab.page.set_viewport_size({"width": size[0], "height": size[1]})
        await tab.page.wait_for_timeout(300)  # the charts follow their boxes' new width
        await tab.page.evaluate("window.scrollTo(0, 0)")
        await tab.page.screenshot(path=SCREENSHOTS / f"trader-dashboard-{name}.png", full_page=True)


async def test_admin_sets_a_traders_fee_on_the_billing_page(
    stack: "Stack", admin: "Session", open_tab: "OpenTab"
) -> None:
    """The admin sets a trader's performance fee in %: a rate out of range is refused next
    to its field; the terms table, the API (a fraction) and the audit log show it."""
    trader = await stack.create_user(admin, "trader")
    assert stack.admin is not None
    boss = await open_tab("admin")
    await admin_signs_in(boss, stack, stack.admin)
    await boss.go("Billing")
    form = boss.main.get_by_role("form", name="Set a trader's performance fee")
    await form.get_by_label("Trader").select_option(label=trader.username)
    await form.get_by_label("Fee rate (%)").fill("150")
    await form.get_by_role("button", name="Set fee").click()
    rate_error = form.locator('[data-field="rate"] .field-error')
    await expect(rate_error).to_contain_text("from 0 to 99.99 %")
    await form.get_by_label("Fee rate (%)").fill("12.5")
    await form.get_by_label("Starts on").fill("2026-12-01")
    await form.get_by_role("button", name="Set fee").click()
    await expect(boss.notices).to_contain_text(f"Fee of {trader.username}: 12.5 % from 2026-12-01")
    terms = boss.main.get_by_role("table", name="Performance-fee terms per trader")
    await expect(terms.get_by_role("row").filter(has_text=trader.username)).to_contain_text(
        "12.5 %"
    )
    await boss.shot("billing")
    listed = (await admin.get("/api/admin/billing/terms")).json()["traders"]
    [mine] = [t for t in listed if t["user_id"] == trader.user_id]
    assert (mine["rate"], mine["starts_on"]) == ("0.125", "2026-12-01")
    audit = await admin.get("/api/admin/audit", params={"target": trader.user_id})
    assert "admin.fees.set" in {e["action"] for e in audit.json()["items"]}


async def test_a_trader_reads_his_income_on_the_history_page(
    stack: "Stack", admin: "Session", open_tab: "OpenTab"
) -> None:
    """A funding fee and a deposit the executor recorded are listed with their signs, in
    the trader's "Income" card (cursor pages, with its CSV download)."""
    account = await stack.create_user(admin, "trader")
    at = datetime.now(UTC) - timedelta(hours=1)
    funding = FundingPaid(
        funding_id="income-9001",
        symbol="BTC-USDT",
        amount=Decimal("-0.42"),
        paid_at=at,
        reported_by="query",
    )
    deposit = TransferRecorded(transfer_id="income-9002", amount=Decimal(250), moved_at=at)
    await stack.append("account", account.user_id, funding, deposit)
    trader = await open_tab("trader")
    await first_sign_in(trader, (account.username, account.password))
    await trader.go("Trades & sessions")
    income = trader.main.get_by_role("region", name="Income (funding, fees, transfers)")
    table = income.get_by_role("table", name="Income")
    await expect(table.get_by_role("row").filter(has_text="funding fee")).to_contain_text("-0.42")
    await expect(table.get_by_role("row").filter(has_text="transfer")).to_contain_text("+250.00")
    await expect(income.get_by_role("button", name="Older")).to_be_disabled()
    await expect(income.get_by_role("link", name=re.compile("CSV"))).to_be_visible()
