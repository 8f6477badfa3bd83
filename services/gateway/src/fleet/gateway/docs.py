"""``/docs`` (Swagger UI) and ``/redoc`` from files served here, never from a CDN.

The assets are the Swagger UI and ReDoc distributions shipped in the PyPI package
``fastapi-offline``; the pages run only those files and their one inline start-up script
(allowed by its hash in the Content-Security-Policy) and fetch only ``/openapi.json``.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.resources
import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

ASSETS_PREFIX = "/docs-assets"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _assets() -> Path:
    return Path(str(importlib.resources.files("fastapi_offline") / "static"))


def _policy(page: str) -> str:
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(page)
    )
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' {hashes}".strip(),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "worker-src 'self' blob:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


def _page(html: HTMLResponse) -> Response:
    page = bytes(html.body).decode()
    headers = {"Content-Security-Policy": _policy(page), "X-Frame-Options": "DENY"}
    return HTMLResponse(page, headers=headers)


def install_docs(app: FastAPI, title: str) -> None:
    """Serve ``/docs``, ``/redoc`` and their assets (the app is built with both off)."""
    favicon = f"{ASSETS_PREFIX}/favicon.png"
    swagger = _page(
        get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=title,
            swagger_js_url=f"{ASSETS_PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PREFIX}/swagger-ui.css",
            swagger_favicon_url=favicon,
        )
    )
    redoc = _page(
        get_redoc_html(
            openapi_url="/openapi.json",
            title=title,
            redoc_js_url=f"{ASSETS_PREFIX}/redoc.standalone.js",
            redoc_favicon_url=favicon,
            with_google_fonts=False,
        )
    )

    async def docs(_request: Request) -> Response:
        return swagger

    async def redoc_page(_request: Request) -> Response:
        return redoc

    app.add_route("/docs", docs, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_route("/redoc", redoc_page, methods=["GET", "HEAD"], include_in_schema=False)
    app.mount(ASSETS_PREFIX, StaticFiles(directory=_assets()), name="docs-assets")
