"""Who is connected to the test NATS server: its ``/connz`` monitoring endpoint."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from faststream.asgi import AsgiFastStream
    from nats.aio.client import Client


async def open_connections(monitor_port: int) -> dict[int, str]:
    """nats-server's open client connections: their ids and names."""
    async with httpx.AsyncClient(timeout=5) as http:
        answer = await http.get(f"http://127.0.0.1:{monitor_port}/connz", params={"limit": 1024})
    return {c["cid"]: c.get("name", "") for c in answer.json().get("connections") or []}


async def opened_since(monitor_port: int, before: dict[int, str]) -> dict[int, str]:
    """The connections open now that were not in ``before``: their ids and names."""
    now = await open_connections(monitor_port)
    return {cid: name for cid, name in now.items() if cid not in before}


def broker_connection(app: AsgiFastStream) -> Client:
    """The NATS connection of a started service's FastStream broker."""
    broker = app.broker
    assert broker is not None
    connection: Client = broker.connection  # type: ignore[attr-defined]
    return connection
