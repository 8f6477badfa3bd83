"""Connect commands as the gateway sends them, for tests and benchmarks that talk to the
vault service directly: the BingX secret wrapped with Vault's wrapping key (asked of the
vault service over ``cmd.vault.wrapping_key``), never in clear on the bus."""

from __future__ import annotations

from typing import Any

from nats.aio.client import Client

from fleet.events.commands import CommandReply, command_subject
from fleet.events.vault_commands import ConnectCredential, GetWrappingKey, WrappingKeyIssued
from fleet.vaultwrap import WrappingKey

# OpenBao makes its RSA-4096 wrapping key on the first request: several seconds on a busy box
WRAPPING_KEY_TIMEOUT_S = 60.0


async def wrapping_key_of(nc: Client) -> WrappingKey:
    """The wrapping key the vault service answers."""
    request = GetWrappingKey()
    answer = await nc.request(
        command_subject(request),
        request.model_dump_json().encode(),
        timeout=WRAPPING_KEY_TIMEOUT_S,
    )
    issued = CommandReply.model_validate_json(answer.data).typed(WrappingKeyIssued).payload()
    return WrappingKey.from_pem(issued.public_key)


def wrapped_connect(
    key: WrappingKey, user_id: str, api_key: str, secret: str, **fields: Any
) -> ConnectCredential:
    """``ConnectCredential`` for the pair, its secret wrapped with ``key``."""
    return ConnectCredential(
        user_id=user_id,
        api_key=api_key,
        wrapped_secret=key.wrap(secret),
        wrapping_key_id=key.key_id,
        **fields,
    )


async def connect_command(
    nc: Client, user_id: str, api_key: str, secret: str, **fields: Any
) -> ConnectCredential:
    """:func:`wrapped_connect` with the key the vault service answers now."""
    return wrapped_connect(await wrapping_key_of(nc), user_id, api_key, secret, **fields)
