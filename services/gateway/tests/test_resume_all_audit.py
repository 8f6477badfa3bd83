"""Lifting the kill switch is audited on its own, as soon as it is answered: a bulk resume
that fails after it must not leave trading on with no audit entry (fakes, no NATS)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

import pytest

from fleet.events.commands import Command, CommandReply
from fleet.events.ids import UserId
from fleet.gateway.api.admin_bulk import resume_all
from fleet.gateway.deps import Access, Services
from fleet.gateway.principal import Principal
from fleet.gateway.schemas.admin import ResumeAll


class Recorder:
    """The command bus and the audit log: the kill switch lifted, every entry kept."""

    def __init__(self) -> None:
        self.entries: list[Any] = []

    async def send(self, command: Command, *, timeout: float | None = None) -> CommandReply:
        return CommandReply.success(was_halted=True)

    async def record(self, entry: Any, request_id: str) -> int:
        self.entries.append(entry)
        return len(self.entries)


async def _unreadable(query: Any) -> Any:
    raise ConnectionError("injected: the read model is unreachable")


def test_the_lift_is_audited_even_when_the_bulk_resume_fails() -> None:
    recorder = Recorder()
    services = SimpleNamespace(
        commands=recorder, audit=recorder, db=SimpleNamespace(read=_unreadable)
    )
    admin = Principal(
        user_id=UserId("adm"), username="adm", role="admin", ip="1.2.3.4", via="session"
    )
    access = Access(principal=admin, ip="1.2.3.4", request_id="r1")
    with pytest.raises(ConnectionError):
        asyncio.run(resume_all(access, cast(Services, services), ResumeAll(reason="drill over")))
    [entry] = recorder.entries
    assert (entry.action, entry.outcome) == ("admin.resume_trading", "ok")
    assert entry.details == {"reason": "drill over"}
