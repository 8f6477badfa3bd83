import pytest

from fleet.events.auth_commands import AUTH_COMMANDS, CreateUser
from fleet.events.commands import CommandReply, command_subject

pytestmark = pytest.mark.unit


def test_every_auth_command_has_its_own_subject() -> None:
    subjects = [command_subject(command) for command in AUTH_COMMANDS]
    assert len(set(subjects)) == len(subjects)
    assert command_subject(CreateUser) == "cmd.auth.create_user"


def test_reply_shapes() -> None:
    assert CommandReply.success(user_id="u1").data == {"user_id": "u1"}
    refused = CommandReply.failure("invalid", "too short", field="password")
    assert refused.error is not None
    assert (refused.ok, refused.error.code, refused.error.details) == (
        False,
        "invalid",
        {"field": "password"},
    )


def test_every_executor_command_has_its_own_subject() -> None:
    from fleet.events.executor_commands import EXECUTOR_COMMANDS, StartBot

    subjects = [command_subject(command) for command in EXECUTOR_COMMANDS]
    assert len(set(subjects)) == len(subjects)
    assert command_subject(StartBot) == "cmd.executor.start_bot"
