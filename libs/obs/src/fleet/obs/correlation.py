"""The correlation id of the work in progress, bound to every log line it writes.

A signal's path crosses three processes (strategy → executor → vault) and the exchange
call: each binds the id it received (the signal's event id, a command's
``correlation_id``) with :func:`correlated`; structlog's ``merge_contextvars`` adds it to
every line, stdlib records included; asyncio tasks started inside inherit it, and a
command sent from inside carries :func:`current_correlation_id` on to the next process.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import structlog

CORRELATION_KEY = "correlation_id"


@contextlib.contextmanager
def correlated(correlation_id: str | None) -> Iterator[None]:
    """Bind ``correlation_id`` to every log line written inside (nothing when ``None``)."""
    if not correlation_id:
        yield
        return
    with structlog.contextvars.bound_contextvars(**{CORRELATION_KEY: correlation_id}):
        yield


def current_correlation_id() -> str | None:
    """The correlation id bound here, if any (to pass on in a command)."""
    value = structlog.contextvars.get_contextvars().get(CORRELATION_KEY)
    return str(value) if value else None
