"""``fleet up`` asks auth for the first admin and never fails the stack on the answer."""

from __future__ import annotations

import pytest

from fleet.cli.platform import TWO_FACTOR_NEXT, bootstrap_admin
from fleet.events.commands import CommandReply

pytestmark = pytest.mark.unit


def _said(ask_result: bytes | Exception) -> list[str]:
    said: list[str] = []

    def ask(_subject: str, _body: bytes) -> bytes:
        if isinstance(ask_result, Exception):
            raise ask_result
        return ask_result

    bootstrap_admin(ask, {}, said.append)
    return said


def test_no_answer_is_said_and_the_stack_stays_up() -> None:
    assert _said(TimeoutError()) == ["first admin not created: auth did not answer (TimeoutError)"]
    assert _said(b"not json") == ["first admin not created: auth did not answer (ValidationError)"]


def test_a_bug_is_not_hidden_as_no_answer() -> None:
    with pytest.raises(ZeroDivisionError):
        _said(ZeroDivisionError())


def test_a_created_admin_is_said_with_its_one_time_password() -> None:
    reply = CommandReply.success(created=True, username="admin", user_id="u1", password="pw")
    assert _said(reply.model_dump_json().encode()) == [
        "first admin: admin, one-time password pw (shown once; to be changed at the first login)",
        TWO_FACTOR_NEXT,
    ]
