"""Each HTTP request is a :func:`fleet.events.written.tracking_writes` scope: what its
commands and its own appends wrote is what its read-your-writes wait goes to."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from fleet.events.written import tracking_writes


class WrittenScope:
    """Pure ASGI (the route runs in this task, so it sees the scope this opens)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with tracking_writes():
            await self.app(scope, receive, send)
