"""The gateway's kept wrapping key: asked once, asked again after a failed fetch or when
the vault service names another key, never kept when it is not an RSA key."""

from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from fleet.events.commands import Command, CommandReply
from fleet.events.vault_commands import GetWrappingKey
from fleet.gateway.adapters.commands import CommandBus
from fleet.gateway.adapters.wrapping_keys import UNREADABLE, WrappingKeys
from fleet.vaultwrap import WrappingKey

pytestmark = pytest.mark.unit


def pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


class FakeVault(CommandBus):
    """Answers ``GetWrappingKey`` with the queued replies, in order."""

    def __init__(self, *replies: CommandReply) -> None:
        self.replies = list(replies)
        self.asked: list[Command] = []

    async def send(self, command: Command, *, timeout: float | None = None) -> CommandReply:
        self.asked.append(command)
        return self.replies.pop(0)


def key_reply(public_key: str, **extra: Any) -> CommandReply:
    return CommandReply.success(public_key=public_key, key_id="ignored", **extra)


async def test_asked_once_then_kept() -> None:
    vault = FakeVault(key_reply(pem()))
    keys = WrappingKeys(vault, timeout=1)
    first, again = await keys.current(), await keys.current()
    assert first is again and not isinstance(first, CommandReply)
    assert len(vault.asked) == 1 and isinstance(vault.asked[0], GetWrappingKey)


async def test_a_failed_fetch_is_not_kept() -> None:
    down = CommandReply.failure("unavailable", "the vault service is not running; try later")
    vault = FakeVault(down, key_reply("not a key"), key_reply(pem()))
    keys = WrappingKeys(vault, timeout=1)
    assert await keys.current() == down
    assert await keys.current() == UNREADABLE
    assert not isinstance(await keys.current(), CommandReply)
    assert len(vault.asked) == 3


async def test_forgetting_the_named_key_asks_again() -> None:
    vault = FakeVault(key_reply(pem()), key_reply(pem()))
    keys = WrappingKeys(vault, timeout=1)
    old = await keys.current()
    assert not isinstance(old, CommandReply)
    keys.forget("another key id")  # not the kept one: kept
    assert await keys.current() is old
    keys.forget(old.key_id)
    new = await keys.current()
    assert not isinstance(new, CommandReply) and new.key_id != old.key_id


async def test_a_stale_key_is_replaced_and_the_command_built_again_once() -> None:
    stale = CommandReply.failure("conflict", "wrap it again", wrapping_key_id="new")
    done = CommandReply.success(status="verified")
    vault = FakeVault(key_reply(pem()), stale, key_reply(pem()), done)
    keys = WrappingKeys(vault, timeout=1)
    used: list[str] = []

    def command_for(key: WrappingKey) -> Command:
        used.append(key.key_id)
        return GetWrappingKey()  # any command: what is sent is the fake's concern

    assert await keys.send_wrapped(command_for, timeout=1) == done
    assert len(used) == 2 and used[0] != used[1]
    again = FakeVault(key_reply(pem()), stale, key_reply(pem()), stale)
    assert await WrappingKeys(again, timeout=1).send_wrapped(command_for, timeout=1) == stale
    assert again.replies == []  # two tries, no third


async def test_other_refusals_are_answered_as_they_are() -> None:
    taken = CommandReply.failure("conflict", "this API key is connected to another account")
    vault = FakeVault(key_reply(pem()), taken)
    keys = WrappingKeys(vault, timeout=1)
    assert await keys.send_wrapped(lambda key: GetWrappingKey(), timeout=1) == taken
    assert len(vault.asked) == 2
