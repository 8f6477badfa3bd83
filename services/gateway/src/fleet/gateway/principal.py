"""Who is asking: the authenticated user behind a request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NewType

from fleet.events.commands import Actor
from fleet.events.ids import Scope, UserId
from fleet.events.users import Role

SessionHash = NewType("SessionHash", str)  # SHA-256 of a session id, never the id itself

Via = Literal["session", "token"]
ROLES: tuple[Role, ...] = ("admin", "trader", "viewer")


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. ``scope`` is set for a personal access token only; a
    browser session carries the full rights of the role."""

    user_id: UserId
    username: str
    role: Role
    ip: str
    via: Via
    scope: Scope | None = None
    session_hash: SessionHash | None = None
    must_change_password: bool = False
    # an admin without two-factor authentication while the gateway requires it: he may
    # only enrol (and sign out, read his own account) until he has it
    needs_second_factor: bool = False

    def actor(self) -> Actor:
        """The actor every command sent on this caller's behalf carries."""
        return Actor(user_id=self.user_id, role=self.role, ip=self.ip)
