import pytest
from pydantic import ValidationError

from fleet.events.auth_commands import AUTH_COMMANDS, Authenticated, CreateUser
from fleet.events.commands import CommandReply, Reply, command_subject

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


def test_a_typed_reply_has_the_wire_shape_of_the_untyped_one() -> None:
    answer = Authenticated(user_id="u1", username="ann", role="trader", must_change_password=True)
    accepted = Reply[Authenticated].accepted(answer)
    assert accepted.model_dump(mode="json") == CommandReply.success(
        **answer.model_dump()
    ).model_dump(mode="json")
    refused = Reply[Authenticated].refused("locked", "locked out", until="later")
    assert refused.model_dump(mode="json") == {
        "ok": False,
        "data": {},
        "error": {"code": "locked", "message": "locked out", "details": {"until": "later"}},
    }
    assert refused.wire() == CommandReply.failure("locked", "locked out", until="later")


def test_the_untyped_view_reads_back_typed() -> None:
    wire = (
        Reply[Authenticated]
        .accepted(
            Authenticated(user_id="u1", username="ann", role="admin", must_change_password=False)
        )
        .model_dump_json()
    )
    typed = CommandReply.model_validate_json(wire).typed(Authenticated)
    assert typed.payload() == Authenticated(
        user_id="u1", username="ann", role="admin", must_change_password=False
    )
    refused = CommandReply.failure("unauthenticated", "no").typed(Authenticated)
    assert refused.data is None
    with pytest.raises(ValueError, match="refused"):
        refused.payload()
    with pytest.raises(ValidationError):  # a payload that does not fit is not accepted
        CommandReply.success(user_id="u1").typed(Authenticated)


def test_every_executor_command_has_its_own_subject() -> None:
    from fleet.events.executor_commands import EXECUTOR_COMMANDS, StartBot

    subjects = [command_subject(command) for command in EXECUTOR_COMMANDS]
    assert len(set(subjects)) == len(subjects)
    assert command_subject(StartBot) == "cmd.executor.start_bot"


def test_a_sparse_payload_sends_only_what_it_has() -> None:
    from fleet.events.auth_commands import AdminBootstrapped

    existing = Reply[AdminBootstrapped].accepted(AdminBootstrapped(created=False, username="a"))
    assert existing.wire().data == {"created": False, "username": "a"}
    generated = AdminBootstrapped(created=True, username="a", user_id="u1", password="p")
    wire = Reply[AdminBootstrapped].accepted(generated).wire()
    assert list(wire.data) == ["created", "username", "user_id", "password"]
    assert wire.typed(AdminBootstrapped).payload() == generated
    assert existing.wire().typed(AdminBootstrapped).payload().password is None
