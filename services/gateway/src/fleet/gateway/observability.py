"""Per-request metrics and a debug log line, as a plain ASGI middleware (cheap: no body
buffering). Labelled by the route template, never by the concrete path or query, so no
id or search text becomes a label, and nothing of a request body is ever logged."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fleet.obs import get_logger

REQUESTS = Counter(
    "fleet_gateway_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "fleet_gateway_request_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class RequestMetrics:
    """Counts and times every HTTP request; logs one debug line each."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = get_logger("fleet.gateway.http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self._observe(scope, status, time.perf_counter() - started)

    def _observe(self, scope: Scope, status: int, elapsed: float) -> None:
        route: Any = scope.get("route")
        template = getattr(route, "path", "unmatched")
        method = str(scope.get("method", ""))
        REQUESTS.labels(method, template, str(status)).inc()
        LATENCY.labels(method, template).observe(elapsed)
        self.log.debug(
            "request", method=method, route=template, status=status, ms=round(elapsed * 1000, 2)
        )
