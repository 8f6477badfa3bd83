"""Accessibility acceptance: axe-core (installed from the npm registry by
``fleet.gateway.web.vendor`` and served same-origin under ``/ui/vendor/``) on every page
of every role (admin, trader, viewer, and the sign-in page), at desktop (1400x1000) and
phone (390x844) width, in light and dark colour schemes. No critical and no serious
violation is allowed; the moderate and minor ones are counted and printed.

One stack for the module (the fixtures of ``tests/ui/conftest.py``); each person's browser
context carries the cookies of a session opened through the API."""

import re
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from fleet.events.billing import PeriodClosed
from fleet.events.trading import PositionOpened

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

# 88 page checks (4 roles x 2 sizes x 2 schemes) after a stack start: longer than the default
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]
SIZES = {"desktop": (1400, 1000), "phone": (390, 844)}
SCHEMES = ("light", "dark")
BLOCKING = {"critical", "serious"}
# every page's picture, light scheme, at both widths (linked from docs/screenshots/README.md)
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots" / "pages"
SHARED_PAGES = ("#/account", "#/notifications")  # the same for every role: pictured once
# what shows a page's lists have loaded, where axe must see them (forms drawn from data)
LOADED = {
    "#/admin/billing": 'form[aria-label="Set a trader\'s performance fee"]',
    "#/trader/history": "main button:has-text('Older')",
}


def screenshot_name(role: str, address: str, ids: dict[str, str], size: str) -> str:
    """``trader-history-phone.png``: the role, the page's address with user ids named by
    their role, and the width."""
    for name, user_id in ids.items():
        address = address.replace(user_id, name)
    slug = re.sub(r"[^a-z0-9]+", "-", address.lower()).strip("-") or "home"
    return f"{role}-{slug}-{size}.png"


async def _context(browser: Browser, stack: "Stack", session: "Session | None") -> BrowserContext:
    context = await browser.new_context(base_url=stack.base_url)
    if session is not None:
        cookies: list[Any] = [
            {"name": name, "value": value, "url": stack.base_url}
            for name, value in session.http.cookies.items()
        ]
        await context.add_cookies(cookies)
    return context


async def _ready(page: Page, address: str) -> None:
    await page.goto(f"/{address}")
    await expect(page.locator("main h1").first).to_be_visible()
    await expect(page.locator("main .loading")).to_have_count(0)
    if (loaded := LOADED.get(address)) is not None:
        await expect(page.locator(loaded).first).to_be_visible()


async def _axe(page: Page) -> list[dict[str, Any]]:
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.add_script_tag(url="/ui/vendor/axe.min.js")
    found: list[dict[str, Any]] = await page.evaluate(
        """async () => {
            const result = await window.axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact,
                targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
                nodes: v.nodes.length,
            }));
        }"""
    )
    return found


def a_closed_period(user_id: str) -> PeriodClosed:
    """A statement and its invoice on the billing pages (the trader's and the admin's)."""
    return PeriodClosed(
        user_id=user_id,
        period="2026-11",
        starts_at=datetime(2026, 11, 1, tzinfo=UTC),
        ends_at=datetime(2026, 12, 1, tzinfo=UTC),
        rate=Decimal("0.2"),
        start_equity=Decimal(1000),
        end_equity=Decimal(1200),
        deposits=Decimal(0),
        withdrawals=Decimal(0),
        mark_before=Decimal(1000),
        mark_after=Decimal(1200),
        gain=Decimal(200),
        fee=Decimal(40),
        carried_loss=Decimal(0),
        plan="Starter",
        plan_price=Decimal(29),
        sentence="November 2026: equity 1,000.00 → 1,200.00 USDT; fee 20 % = 40.00.",
    )


async def test_axe_every_page_every_role_size_and_scheme(
    stack: "Stack", admin: "Session", browser: Browser
) -> None:
    trader = await stack.new_session(admin, "trader")
    viewer = await stack.new_session(admin, "viewer")
    other_admin = await stack.new_session(admin, "admin")
    granted = await admin.put(f"/api/admin/users/{viewer.user_id}/grants/{trader.user_id}")
    assert granted.status_code < 300, granted.text
    opened = PositionOpened(
        trade_id="a11y-1",
        symbol="BTC-USDT",
        position_side="LONG",
        direction="long",
        quantity=Decimal("0.01"),
        entry_price=Decimal(50_000),
        stop_price=Decimal(49_000),
        leverage=5,
        opened_at=datetime.now(UTC),
    )
    await stack.append("account", trader.user_id, opened)
    await stack.append("billing", f"{trader.user_id}_2026-11", a_closed_period(trader.user_id))
    pages: dict[str, tuple[Session | None, list[str]]] = {
        "anonymous": (None, ["#/login"]),
        "admin": (
            other_admin,
            [
                "#/admin",
                "#/admin/users",
                f"#/admin/users/{trader.user_id}",
                f"#/admin/users/{viewer.user_id}",
                "#/admin/audit",
                "#/admin/system",
                "#/admin/billing",
                "#/account",
                "#/account/security",
                "#/notifications",
            ],
        ),
        "trader": (
            trader,
            [
                "#/trader",
                "#/trader/connection",
                "#/trader/settings",
                "#/trader/history",
                "#/trader/decisions",
                "#/trader/billing",
                "#/account",
                "#/account/security",
                "#/notifications",
            ],
        ),
        "viewer": (
            viewer,
            ["#/viewer", f"#/viewer/{trader.user_id}", "#/account", "#/notifications"],
        ),
    }
    blocking: list[str] = []
    counts: Counter[str] = Counter()
    runs = 0
    ids = {"trader": trader.user_id, "viewer": viewer.user_id}
    pictured: set[tuple[str, str]] = set()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    for role, (session, addresses) in pages.items():
        context = await _context(browser, stack, session)
        page = await context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            for scheme in SCHEMES:
                await page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
                for size, (width, height) in SIZES.items():
                    await page.set_viewport_size({"width": width, "height": height})
                    for address in addresses:
                        await _ready(page, address)
                        runs += 1
                        shared = address.startswith(SHARED_PAGES)
                        if scheme == "light" and (address, size) not in pictured:
                            if shared:
                                pictured.add((address, size))
                            name = screenshot_name("any" if shared else role, address, ids, size)
                            await page.evaluate("window.scrollTo(0, 0)")
                            await page.screenshot(path=SCREENSHOTS / name)
                        for violation in await _axe(page):
                            counts[violation["impact"]] += violation["nodes"]
                            if violation["impact"] in BLOCKING:
                                blocking.append(
                                    f"{role} {address} {size} {scheme}: {violation['impact']} "
                                    f"{violation['id']} on {violation['targets']}"
                                )
        finally:
            await context.close()
    assert not errors, errors
    print(
        f"\naxe-core: {runs} page checks; moderate {counts['moderate']}, minor "
        f"{counts['minor']} (serious {counts['serious']}, critical {counts['critical']})"
    )
    assert runs == 2 * 2 * sum(len(a) for _, a in pages.values())
    assert len(list(SCREENSHOTS.glob("*.png"))) >= 2 * len(
        {screenshot_name("any", a, ids, "") for _, adds in pages.values() for a in adds}
    )
    assert not blocking, "\n".join(blocking)
