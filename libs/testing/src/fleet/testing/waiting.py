"""Waiting in an end-to-end test for what the platform does in its own time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any


async def until(check: Callable[..., Awaitable[Any]], timeout: float = 30.0) -> Any:
    """What ``check`` first returns truthy, asked every 0.3 s; fails the test after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.3)
    raise AssertionError(f"not reached in {timeout} s")
