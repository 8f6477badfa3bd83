"""One WebSocket's subscription: whose frames it may receive, and its bounded queue."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from fleet.events.ids import UserId
from fleet.events.users import Role
from fleet.gateway.live.frames import Frame

CLOSE_SLOW = 4008  # the client did not read fast enough
CLOSE_REVOKED = 4001  # the session or token ended (logout, deactivation, role change...)
CLOSE_TOO_FAR = 4009  # ?after= is further back than a catch-up may go: reload, then live
CLOSE_GOING_AWAY = 1001  # the gateway stops


@dataclass(frozen=True)
class Credential:
    """What authenticated the socket, checked again while it is open (hashes only)."""

    session_hash: str | None = None
    token_sha256: str | None = None


@dataclass(eq=False)
class Subscriber:
    """A socket's audience (``None``: everyone, an admin) and its queue of frames."""

    user_id: UserId
    role: Role
    credential: Credential
    audience: frozenset[str] | None
    queue: asyncio.Queue[Frame] = field(default_factory=lambda: asyncio.Queue(256))
    after: int = 0  # frames at or before this sequence were sent by the catch-up
    closing: asyncio.Future[int] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def wants(self, frame: Frame) -> bool:
        """Whether this socket may see ``frame``."""
        return (frame.transient or frame.seq > self.after) and self.sees(frame)

    def sees(self, frame: Frame) -> bool:
        """Whether ``frame`` is of someone this socket's user may watch."""
        return frame.user_id is None or self.audience is None or frame.user_id in self.audience

    def offer(self, frame: Frame) -> None:
        """Queue ``frame``; a full queue closes the socket (it never blocks the others)."""
        if self.closing.done() or not self.wants(frame):
            return
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.close(CLOSE_SLOW)

    def close(self, code: int) -> None:
        """Ask the socket's handler to close with ``code`` (the first reason wins)."""
        if not self.closing.done():
            self.closing.set_result(code)
