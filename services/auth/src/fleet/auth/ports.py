"""What the auth handlers need from the outside world, named by capability."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

Clock = Callable[[], datetime]  # timezone-aware UTC; tests inject one they can move


class PasswordHasher(Protocol):
    """argon2id hashing, run off the event loop (it is CPU-heavy by design)."""

    @property
    def dummy_hash(self) -> str:
        """A hash of a random password: verified against when the username is unknown, so
        an unknown name costs the same work as a wrong password."""
        ...

    async def hash(self, password: str) -> str:
        """A new hash of ``password`` with the current parameters."""
        ...

    async def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``password_hash`` (False for a malformed hash)."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash was made with other parameters than the current ones."""
        ...
