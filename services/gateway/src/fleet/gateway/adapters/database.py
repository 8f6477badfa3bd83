"""PostgreSQL access from async handlers: each unit of read work runs in a worker thread
on one pooled connection (psycopg 3 through SQLAlchemy Core; no ORM)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import ParamSpec, TypeVar

import anyio.to_thread
from sqlalchemy import Connection, Engine

P = ParamSpec("P")
T = TypeVar("T")


class Database:
    """Runs ``fn(connection, ...)`` off the event loop."""

    def __init__(self, engine: Engine, *, threads: int = 16) -> None:
        self.engine = engine
        self._limiter = anyio.CapacityLimiter(threads)

    async def read(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        """Run a read on one connection."""
        return await anyio.to_thread.run_sync(
            partial(self._read, fn, *args, **kwargs), limiter=self._limiter
        )

    async def call(self, fn: Callable[..., T], *args: object) -> T:
        """Run any blocking function (e.g. the session store's)."""
        return await anyio.to_thread.run_sync(partial(fn, *args), limiter=self._limiter)

    def _read(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        with self.engine.connect() as connection:
            return fn(connection, *args, **kwargs)


__all__ = ["Connection", "Database"]
