"""Accessibility acceptance: axe-core (installed from the npm registry by
``fleet.gateway.web.vendor`` and served same-origin under ``/ui/vendor/``) on every page
of every role (admin, trader, viewer, and the sign-in page), at desktop (1400x1000) and
phone (390x844) width, in light and dark colour schemes. No critical and no serious
violation is allowed; the moderate and minor ones are counted and printed.

One stack for the module (the fixtures of ``tests/ui/conftest.py``); each person's browser
context carries the cookies of a session opened through the API."""

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from fleet.events.trading import PositionOpened

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

# 88 page checks (4 roles x 2 sizes x 2 schemes) after a stack start: longer than the default
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]
SIZES = {"desktop": (1400, 1000), "phone": (390, 844)}
SCHEMES = ("light", "dark")
BLOCKING = {"critical", "serious"}


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
    assert not blocking, "\n".join(blocking)
