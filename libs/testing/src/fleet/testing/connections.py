"""Who is connected to the test NATS server: its ``/connz`` monitoring endpoint."""

from __future__ import annotations

import httpx


async def open_connections(monitor_port: int) -> dict[int, str]:
    """nats-server's open client connections: their ids and names."""
    async with httpx.AsyncClient(timeout=5) as http:
        answer = await http.get(f"http://127.0.0.1:{monitor_port}/connz", params={"limit": 1024})
    return {c["cid"]: c.get("name", "") for c in answer.json().get("connections") or []}
