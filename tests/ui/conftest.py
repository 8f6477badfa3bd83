"""The web UI in a real browser: Debian's headless Chromium driven by Playwright, against
the same real processes as ``tests/api`` (auth, gateway, vault, executor, the BingX
simulator, PostgreSQL, NATS), whose fixtures are reused from ``tests/api/conftest.py``.

Every tab records what would make the UI wrong without a failing assertion: a script
error or console error, and a state-changing API request without the CSRF header.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Error,
    Locator,
    Page,
    Request,
    async_playwright,
    expect,
)

from fleet.testing.modules import conftest_module

if TYPE_CHECKING:
    from tests.api.conftest import Stack

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Chromium logs every refused fetch (401 before sign-in, a 422 the form shows) as a
# console error; the UI handles those answers, so they are not script errors.
REFUSED_FETCH = re.compile(r"^Failed to load resource: the server responded with a status of 4\d\d")
# while a test stops the gateway on purpose, the page's reconnects and polls are refused
GATEWAY_DOWN = "net::ERR_CONNECTION_REFUSED"
READ_METHODS = {"GET", "HEAD", "OPTIONS"}
expect.set_options(timeout=10_000)


_api = conftest_module(Path(__file__).parents[1] / "api" / "conftest.py")
stack = _api.stack
admin = _api.admin
gateway_workers = _api.gateway_workers


@pytest.fixture(scope="module")
def extra_services() -> tuple[str, ...]:
    return ("vault", "executor")


@dataclass
class Tab:
    """One person's browser tab (its own context: own cookies)."""

    page: Page
    shots: Path
    name: str
    problems: list[str] = field(default_factory=list)
    changes: list[Request] = field(default_factory=list)
    outage: bool = False  # the gateway is stopped on purpose: refused connections expected

    @property
    def main(self) -> Locator:
        return self.page.locator("main")

    @property
    def notices(self) -> Locator:
        return self.page.locator("#notices")

    async def sign_in(self, username: str, password: str) -> None:
        await self.page.get_by_label("Username").fill(username)
        await self.page.get_by_label("Password", exact=True).fill(password)
        await self.page.get_by_role("button", name="Sign in").click()

    async def go(self, title: str) -> None:
        """Follow a link of the main navigation."""
        await (
            self.page.get_by_role("navigation", name="Main").get_by_role("link", name=title).click()
        )
        await expect(self.main.get_by_role("heading", level=1)).to_be_visible()

    async def press(self, name: str) -> None:
        await self.main.get_by_role("button", name=name, exact=True).click()

    async def confirm(self) -> None:
        """Answer yes in the confirmation dialog."""
        await self.page.locator("#confirm button[value=yes]").click()

    async def shot(self, what: str) -> Path:
        path = self.shots / f"{self.name}-{what}.png"
        await self.page.evaluate("window.scrollTo(0, 0)")  # the sticky header on top
        await self.page.screenshot(path=path, full_page=True)
        return path

    def _console(self, message: ConsoleMessage) -> None:
        if self.outage and GATEWAY_DOWN in message.text:
            return
        if message.type == "error" and not REFUSED_FETCH.match(message.text):
            self.problems.append(f"console: {message.text}")

    def _request(self, request: Request) -> None:
        if "/api/" in request.url and request.method not in READ_METHODS:
            self.changes.append(request)

    async def check_clean(self) -> None:
        """No script error; every state-changing call (but sign-in) sent X-CSRF-Token
        equal to the fleet_csrf cookie, and none was refused for CSRF."""
        assert not self.problems, self.problems
        for request in self.changes:
            if request.url.endswith("/api/auth/login"):
                continue
            headers = await request.all_headers()
            assert headers.get("x-csrf-token"), f"{request.method} {request.url} without CSRF"
            answer = await request.response()
            if answer is not None and answer.status == 403:
                assert '"csrf"' not in await answer.text(), f"{request.url} refused for CSRF"


OpenTab = Callable[[str], Awaitable[Tab]]


@pytest.fixture(scope="module")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    """Headless Chromium (never a browser Playwright downloads)."""
    async with async_playwright() as playwright:
        try:
            found = await playwright.chromium.launch(
                executable_path=str(chromium), args=CHROMIUM_ARGS
            )
        except Error as exc:
            first = str(exc).strip().splitlines()[0]
            pytest.fail(f"UI tests cannot start Chromium at {chromium}: {first}", pytrace=False)
        try:
            yield found
        finally:
            await found.close()


@pytest.fixture
async def open_tab(browser: Browser, stack: Stack, tmp_path: Path) -> AsyncIterator[OpenTab]:
    """Opens the UI for one person; at the end, checks every tab stayed clean."""
    tabs: list[Tab] = []

    async def opening(name: str) -> Tab:
        context = await browser.new_context(
            base_url=stack.base_url, viewport={"width": 1280, "height": 860}
        )
        page = await context.new_page()
        tab = Tab(page, tmp_path, name)
        page.on("console", tab._console)
        page.on("pageerror", lambda error: tab.problems.append(f"script: {error}"))
        page.on("request", tab._request)
        await page.goto("/")
        tabs.append(tab)
        return tab

    yield opening
    for tab in tabs:
        await tab.check_clean()
        await tab.page.context.close()
