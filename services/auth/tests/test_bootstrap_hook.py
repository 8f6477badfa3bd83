"""The ``fleet up`` hook that asks auth for the first admin (``fleet.cli.platform``),
with the NATS request replaced by a function that answers as auth would."""

import json

import pytest

from fleet.cli.platform import bootstrap_admin
from fleet.events.commands import CommandReply

pytestmark = pytest.mark.unit


class Auth:
    """Answers one reply and remembers what was asked."""

    def __init__(self, reply: CommandReply | Exception) -> None:
        self.reply = reply
        self.asked: list[tuple[str, dict[str, object]]] = []

    def __call__(self, subject: str, body: bytes) -> bytes:
        self.asked.append((subject, json.loads(body)))
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply.model_dump_json().encode()


def run(auth: Auth, env: dict[str, str]) -> list[str]:
    said: list[str] = []
    bootstrap_admin(auth, env, said.append)
    return said


def test_a_generated_password_is_printed_once() -> None:
    auth = Auth(CommandReply.success(created=True, username="admin", password="Gen3rated-0neTime"))
    said = run(auth, {})
    assert auth.asked == [
        (
            "cmd.auth.bootstrap_admin",
            {
                "actor": {"user_id": "system", "role": "system", "ip": ""},
                "correlation_id": None,
                "username": "admin",
                "email": "",
                "password": None,
            },
        )
    ]
    assert len(said) == 2 and "Gen3rated-0neTime" in said[0] and "shown once" in said[0]
    assert "two-factor" in said[1]  # what the first admin must do next


def test_the_configured_admin_is_asked_for_and_its_password_never_printed() -> None:
    auth = Auth(CommandReply.success(created=True, username="root"))
    env = {"FLEET_ADMIN_USERNAME": "root", "FLEET_ADMIN_PASSWORD": "a configured passphrase"}
    said = run(auth, env)
    assert auth.asked[0][1]["username"] == "root"
    assert auth.asked[0][1]["password"] == "a configured passphrase"
    assert said[0] == "first admin: root created" and "two-factor" in said[1]
    assert not any("a configured passphrase" in line for line in said)


def test_nothing_is_printed_when_an_admin_exists() -> None:
    assert run(Auth(CommandReply.success(created=False, username="admin")), {}) == []


def test_a_refusal_or_silence_is_one_line_and_the_stack_stays_up() -> None:
    weak = Auth(CommandReply.failure("invalid", "a password has at least 12 characters"))
    said = run(weak, {"FLEET_ADMIN_PASSWORD": "short"})
    assert said == [
        "first admin not created: a password has at least 12 characters; use fleet admin create"
    ]
    assert run(Auth(TimeoutError()), {}) == [
        "first admin not created: auth did not answer (TimeoutError)"
    ]
