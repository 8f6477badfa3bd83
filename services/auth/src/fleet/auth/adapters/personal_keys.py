"""Where the data keys of personal data live: PostgreSQL (``fleet_meta.personal_keys``,
the production store, shared with the projections that open what auth seals) and an
in-memory store of the same behaviour for unit tests."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine

from fleet.events import personal
from fleet.projections.personal_keys import PersonalKeys


class PostgresPersonalData:
    """:class:`fleet.projections.personal_keys.PersonalKeys`, off the event loop."""

    def __init__(self, engine: Engine) -> None:
        self._keys = PersonalKeys(engine)

    async def seal(self, subject: str, *texts: str) -> tuple[str, ...]:
        return await asyncio.to_thread(self._keys.seal, subject, *texts)

    async def reveal(self, text: str) -> str:
        if not personal.is_sealed(text):
            return text
        return str(await asyncio.to_thread(self._keys.reveal, text))

    async def destroy(self, subject: str) -> None:
        await asyncio.to_thread(self._keys.destroy, subject)

    async def destroy_days_before(self, first_kept: str) -> int:
        return await asyncio.to_thread(self._keys.destroy_days_before, first_kept)


class InMemoryPersonalData:
    """The same rules in a dict (a destroyed key stays destroyed)."""

    def __init__(self) -> None:
        self.keys: dict[str, bytes | None] = {}

    async def seal(self, subject: str, *texts: str) -> tuple[str, ...]:
        key = self.keys.setdefault(subject, personal.new_key())
        if key is None:
            return tuple(personal.ERASED if text else text for text in texts)
        return tuple(personal.seal(subject, key, text) for text in texts)

    async def reveal(self, text: str) -> str:
        return str(personal.reveal(text, self.keys))

    async def destroy(self, subject: str) -> None:
        self.keys[subject] = None

    async def destroy_days_before(self, first_kept: str) -> int:
        old = [s for s, k in self.keys.items() if s.startswith("day-") and s < first_kept and k]
        for subject in old:
            self.keys[subject] = None
        return len(old)
