"""The SQLAlchemy engine of a service that reads and writes PostgreSQL (gateway, auth,
notify): one set of pool rules, so each outlives a PostgreSQL restart the same way."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine

CONNECT_TIMEOUT_S = 10
RECYCLE_S = 1800


def service_engine(database_url: str, *, pool_size: int, max_overflow: int = 0) -> Engine:
    """A pool for a service. ``pool_pre_ping``: a pooled connection PostgreSQL closed (a
    restart, a failover, an idle timeout) is replaced at checkout, not handed to a
    request (the gateway answered 503 after a restart without it). ``connect_timeout``:
    a new connection to an unreachable server fails in seconds rather than holding a
    worker thread for the kernel's TCP timeout. Connections are recycled every 30 min."""
    return create_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_recycle=RECYCLE_S,
        pool_pre_ping=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
    )
