"""``GET /api/ws``: live updates over a WebSocket, authenticated like the API (session
cookie from a same-origin page, or a bearer token) and authorised by the policy table."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, WebSocket
from starlette.websockets import WebSocketDisconnect

from fleet.gateway import policy
from fleet.gateway.api.routing import audit
from fleet.gateway.deps import Access, Services, client_ip, current_principal
from fleet.gateway.errors import GatewayError
from fleet.gateway.live.frames import Frame
from fleet.gateway.live.hub import LiveHub, TooMany
from fleet.gateway.live.subscriber import CLOSE_TOO_FAR, Credential, Subscriber
from fleet.gateway.principal import Principal
from fleet.gateway.sessions import sha256

ACTION = "live.subscribe"
CLOSE_POLICY = 1008  # before the handshake: the client gets HTTP 403
CLOSE_TRY_LATER = 1013

router = APIRouter()


@router.websocket("/api/ws")
async def live(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    hub: LiveHub = websocket.app.state.live
    request = Request({**websocket.scope, "type": "http", "method": "GET"})
    ip = client_ip(request, services.settings)
    principal = await _caller(websocket, request, services, ip)
    after = _after(websocket)
    if principal is None or after == -1:
        await websocket.close(CLOSE_POLICY)
        return
    try:
        hub.admit(principal.user_id)
    except TooMany:
        await websocket.close(CLOSE_TRY_LATER)
        return
    subscriber = Subscriber(
        principal.user_id,
        principal.role,
        _credential(websocket, principal),
        await hub.audience_of(principal.user_id, principal.role),
        asyncio.Queue(hub.limits.queue_frames),
    )
    if after is None:
        # live from the moment the socket opens: an admin's audit append below (up to the
        # read-your-writes bound) must not let the frames that follow the opening slip by
        after = hub.position
    await websocket.accept()
    if principal.role == "admin":  # an admin watches everyone: audited once per socket
        await audit(services, Access(principal, ip, uuid.uuid4().hex), "admin.live.view")
    try:
        # a slow reader's close frame waits behind what its socket buffers hold: it gets
        # as long as a ping's answer would (the bound a silent client has anyway)
        await _serve(
            websocket, hub, subscriber, after, close_wait_s=2 * services.settings.live_ping_s
        )
    finally:
        hub.detach(subscriber)


async def _caller(
    websocket: WebSocket, request: Request, services: Services, ip: str
) -> Principal | None:
    """The caller, as the API authenticates him; a cookie counts only from our own page."""
    try:
        principal = await current_principal(request, services, ip)
    except GatewayError:
        return None
    if principal is None:
        return None
    if principal.via == "session" and not _same_origin(websocket, services):
        return None
    if not policy.check_caller(ACTION, principal, "GET").allowed:
        return None
    return principal


def _same_origin(websocket: WebSocket, services: Services) -> bool:
    # a browser sends the page's Origin with every WebSocket handshake; another site's
    # page would carry the cookie too (a cross-site WebSocket hijack) but not our Origin
    origin = urlsplit(websocket.headers.get("origin", ""))
    host = websocket.headers.get("host", "")
    return (
        origin.scheme in {"http", "https"}
        and origin.netloc == host
        and (origin.hostname or "") in services.settings.served_hosts()
    )


def _after(websocket: WebSocket) -> int | None:
    """``?after=<seq>``: ``None`` when absent, ``-1`` when not a sequence."""
    text = websocket.query_params.get("after")
    if text is None:
        return None
    return int(text) if text.isdigit() and len(text) <= 19 else -1


def _credential(websocket: WebSocket, principal: Principal) -> Credential:
    if principal.via == "session":
        return Credential(session_hash=principal.session_hash)
    _, _, token = websocket.headers.get("authorization", "").partition(" ")
    return Credential(token_sha256=sha256(token.strip()))


async def _serve(
    websocket: WebSocket,
    hub: LiveHub,
    subscriber: Subscriber,
    after: int | None,
    *,
    close_wait_s: float,
) -> None:
    backlog = await hub.attach(subscriber, after)
    if backlog is None:
        await _close(websocket, CLOSE_TOO_FAR, close_wait_s)
        return
    sending = asyncio.create_task(_send(websocket, subscriber, backlog))
    reading = asyncio.create_task(_drain(websocket))
    closing = subscriber.closing
    waiting: set[asyncio.Future[Any]] = {sending, reading, closing}
    done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    for task in (sending, reading):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    if closing in done:
        await _close(websocket, closing.result(), close_wait_s)


async def _send(websocket: WebSocket, subscriber: Subscriber, backlog: list[Frame]) -> None:
    for frame in backlog:
        await websocket.send_text(frame.text)
    while True:
        frame = await subscriber.queue.get()
        await websocket.send_text(frame.text)


async def _drain(websocket: WebSocket) -> None:
    # clients send nothing; what they send is read (bounded by the server's frame size
    # limit) and ignored, and a disconnect ends the socket
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return


async def _close(websocket: WebSocket, code: int, wait_s: float) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(websocket.close(code), wait_s)
