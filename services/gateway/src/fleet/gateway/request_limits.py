"""The request body limit, as a plain ASGI middleware in front of everything.

A body above the limit (declared by ``Content-Length`` or counted while a chunked body
streams in) is never parsed nor kept: the rest is read and dropped, up to ``DRAIN_MAX``
bytes, so that an ordinary client, which sends its whole body before it reads the
answer, sees the short 413; past that the connection is simply closed. A body within the
limit is buffered (it is small) and handed on unchanged.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fleet.gateway.errors import error_body

DRAIN_MAX = 32 * 1024 * 1024  # bytes read and dropped so the client can read its 413


class BodyLimit:
    """Refuses (413) a request whose body is larger than ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        body = None if declared is not None and declared > self.max_bytes else b""
        if body is not None:
            body = await self._read(receive)
        if body is None:
            await _drain(receive)
            await self._refuse(send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes | None:
        parts: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away: the app sees an empty body
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            parts.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(parts)

    async def _refuse(self, send: Send) -> None:
        limit = f"the request body is larger than {self.max_bytes} bytes"
        payload = json.dumps(error_body("too_large", limit)).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            (b"connection", b"close"),
            (b"cache-control", b"no-store"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


async def _drain(receive: Receive) -> None:
    dropped = 0
    while dropped <= DRAIN_MAX:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        dropped += len(message.get("body", b""))


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isascii() and text.isdigit() else None
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
