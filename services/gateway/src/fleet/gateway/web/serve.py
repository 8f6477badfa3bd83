"""Serves the single-page UI: ``GET /`` is the page, ``/ui/*`` its files.

Neither is an API route (no policy action, not in the OpenAPI document): they are public
static files; everything the UI shows comes from the JSON API, whose routes authorize
every request. The page may run only its own scripts and talk only to its own origin
(Content-Security-Policy), and may not be framed.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fleet.gateway.web.branding import current_branding

STATIC = Path(__file__).parent / "static"
UI_PREFIX = "/ui"
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # revalidate every time (ETag): a new release is picked up at the next load
    "Cache-Control": "no-cache",
}


class _WithHeaders:
    """Adds the UI's security and cache headers to every answer of the wrapped app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, sending)


async def _page(request: Request) -> Response:
    """The page with the platform's branding (name, logo; an https logo's origin is the
    one image source the page may add)."""
    branding = await current_branding(request)
    headers = dict(HEADERS)
    if origin := branding.logo_origin():
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "img-src 'self' data:", f"img-src 'self' data: {origin}"
        )
    page = branding.render((STATIC / "index.html").read_text(encoding="utf-8"))
    return HTMLResponse(page, headers=headers)


async def _brand_css(request: Request) -> Response:
    """The accent colour (a stylesheet: the policy allows no inline style)."""
    branding = await current_branding(request)
    return Response(branding.stylesheet(), media_type="text/css", headers=HEADERS)


def install_web_ui(app: FastAPI) -> None:
    """Serve the page at ``/`` and its files under ``/ui`` (call after the API routers)."""
    app.add_route("/", _page, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_route("/brand.css", _brand_css, methods=["GET", "HEAD"], include_in_schema=False)
    app.mount(UI_PREFIX, _WithHeaders(StaticFiles(directory=STATIC)), name="ui")
