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


class PersonalData(Protocol):
    """Seals personal data (e-mail, IP, user agent, password hash) with a per-subject data
    key before it enters the log, opens it again, and destroys keys (crypto-shredding)."""

    async def seal(self, subject: str, *texts: str) -> tuple[str, ...]:
        """``texts`` sealed with ``subject``'s key (made on first use; ``erased`` once
        destroyed)."""
        ...

    async def reveal(self, text: str) -> str:
        """The plain text of a sealed value (``erased`` without its key)."""
        ...

    async def destroy(self, subject: str) -> None:
        """Destroy ``subject``'s key for ever."""
        ...

    async def destroy_days_before(self, first_kept: str) -> int:
        """Destroy the day keys older than the day subject ``first_kept``; how many."""
        ...
