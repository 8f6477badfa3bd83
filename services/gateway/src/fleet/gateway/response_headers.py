"""Headers every answer carries: nothing is cached (an API answer may hold a one-time
token or someone's account) unless the route chose its own caching (the UI's files), and
no content is sniffed; served over https (``FLEET_COOKIE_SECURE``), HSTS too."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class NoStore:
    """Adds ``Cache-Control: no-store`` (when absent) and ``nosniff`` to every answer, and
    ``Strict-Transport-Security`` when ``hsts_max_age_s`` is above 0 (the gateway is served
    over https: a browser then never asks it over plain http again)."""

    def __init__(self, app: ASGIApp, hsts_max_age_s: int = 0) -> None:
        self.app = app
        self._hsts = f"max-age={hsts_max_age_s}; includeSubDomains".encode()
        self._hsts_on = hsts_max_age_s > 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if self._hsts_on and b"strict-transport-security" not in names:
                    headers.append((b"strict-transport-security", self._hsts))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, sending)
