"""How far in the log one unit of work wrote: "read your writes" without waiting for the
end of the whole log.

A command's handling (``fleet.bus.commands.route``) and a gateway request each open a
scope with :func:`tracking_writes`; every append inside it (``EventStore.append`` calls
:func:`note_written`) raises the scope's mark to the stream sequence it stored. The
command's reply carries the mark as ``sequence``; the gateway notes it in the request's
scope and waits until its read models have applied *that* sequence, not whatever
unrelated events the log holds by then.

The mark is a mutable holder in a context variable: tasks a handler starts copy the
context, hence share the holder, so their appends count too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class WrittenThrough:
    """The highest stream sequence written in a scope (0: nothing yet)."""

    sequence: int = 0


_SCOPE: ContextVar[WrittenThrough | None] = ContextVar("fleet_written_through", default=None)


@contextmanager
def tracking_writes() -> Iterator[WrittenThrough]:
    """A scope whose appends are noted in the holder it yields."""
    holder = WrittenThrough()
    token = _SCOPE.set(holder)
    try:
        yield holder
    finally:
        _SCOPE.reset(token)


def note_written(sequence: int | None) -> None:
    """An append stored through ``sequence`` (no scope open: nothing to note)."""
    holder = _SCOPE.get()
    if holder is not None and sequence and sequence > holder.sequence:
        holder.sequence = sequence


def written_through() -> int:
    """The current scope's mark (0 outside a scope or when nothing was written)."""
    holder = _SCOPE.get()
    return holder.sequence if holder is not None else 0
