"""A trader's BingX connection (``/api/bingx/*``), through the vault service.

The API secret is in clear in this process only, for the one connect request: it is
wrapped here with Vault's public wrapping key (``fleet.vaultwrap``) and crosses the bus as
ciphertext that only OpenBao can open. Meanwhile it is registered with the log scrubber,
never logged, echoed or stored. Answers show only the last four characters of the API key.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated

from fastapi import Depends

from fleet.events.auth_commands import GetSystemSettings, SystemSettingsState
from fleet.events.commands import CommandReply
from fleet.events.executor_commands import StopBot
from fleet.events.vault_commands import (
    ConnectCredential,
    CredentialChecked,
    CredentialConnected,
    DisconnectCredential,
    VerifyCredential,
)
from fleet.gateway.api.routing import ServicesDep, ask, audit, make_router, send, settle
from fleet.gateway.deps import Access, Services, authorize
from fleet.gateway.errors import GatewayError, check, from_reply, invalid
from fleet.gateway.read_models.bots.queries import bot_of
from fleet.gateway.read_models.credentials.queries import credential_of
from fleet.gateway.schemas.trading import BingxResult, ConnectRequest, EgressOut
from fleet.obs import register_secret
from fleet.obs.logging import forget_secret
from fleet.vaultwrap import BINGX_KEY, WrappingKey

SWITCH_WHILE_RUNNING = (
    "stop your bot before connecting a key of the other environment (live / demo): "
    "what it holds on the current one would no longer be watched"
)
NOT_A_SECRET = CommandReply.failure(
    "invalid", "a BingX secret key is 16-128 letters and digits", field="api_secret"
)

router = make_router("bingx")
AUDIT_MESSAGE_CHARS = 200  # a refusal's message kept in the audit entry


@contextmanager
def _scrubbed(*values: str) -> Iterator[None]:
    for value in values:
        register_secret(value)
    try:
        yield
    finally:
        for value in values:
            forget_secret(value)


def _refused(reply: CommandReply) -> GatewayError:
    error = from_reply(reply)
    error.extra = {"success": False}
    return error


async def _audited_reply(
    services: Services, access: Access, action: str, reply: CommandReply, details: dict[str, str]
) -> None:
    if reply.error is not None:
        # the code and what BingX (or the vault) said, as the caller was told it
        message = reply.error.message[:AUDIT_MESSAGE_CHARS]
        details = details | {"reason": reply.error.code, "message": message}
    await audit(
        services,
        access,
        action,
        target=access.caller.user_id,
        outcome="ok" if reply.ok else "failed",
        details=details,
    )


@router.post(
    "/api/bingx/connect",
    summary="Connect my BingX account (verified with BingX before it is stored)",
    operation_id="bingx_connect",
)
async def connect(
    keys: ConnectRequest,
    access: Annotated[Access, Depends(authorize("bingx.connect"))],
    services: ServicesDep,
) -> BingxResult:
    await _same_environment_while_running(services, access.caller.user_id, keys)
    with _scrubbed(keys.api_secret, keys.api_key):
        reply = await _send_wrapped(services, access, keys)
    connected = reply.typed(CredentialConnected).data  # None when refused
    last4 = connected.api_key_last4 if connected is not None else ""
    await _audited_reply(services, access, "bingx.connect", reply, {"api_key_last4": last4})
    if connected is None:
        raise _refused(reply)
    await settle(services, "credentials")
    return BingxResult(
        success=True,
        message="BingX account connected and verified",
        account_type=connected.account_type,
        balance=Decimal(connected.balance),
        api_key_last4=last4 or None,
        environment=keys.environment,
        warnings=connected.warnings,
    )


async def _same_environment_while_running(
    services: Services, user_id: str, keys: ConnectRequest
) -> None:
    """A running (or paused) bot keeps its environment: switching would orphan positions."""
    stored = await services.db.read(credential_of, user_id)
    if stored.environment in (None, keys.environment):
        return
    if (await services.db.read(bot_of, user_id)).status in ("running", "paused"):
        error = invalid("environment", SWITCH_WHILE_RUNNING)
        error.extra = {"success": False}
        raise error


async def _send_wrapped(services: Services, access: Access, keys: ConnectRequest) -> CommandReply:
    """Wrap the secret for Vault here and send only the ciphertext."""
    if not BINGX_KEY.match(keys.api_secret):
        return NOT_A_SECRET

    def command_for(key: WrappingKey) -> ConnectCredential:
        return ConnectCredential(
            user_id=access.caller.user_id,
            api_key=keys.api_key,
            wrapped_secret=key.wrap(keys.api_secret),
            wrapping_key_id=key.key_id,
            environment=keys.environment,
            actor=access.caller.actor(),
            correlation_id=access.request_id,
        )

    timeout = services.settings.connect_timeout_s
    return await services.wrapping_keys.send_wrapped(command_for, timeout=timeout)


@router.post(
    "/api/bingx/test", summary="Verify my stored BingX connection now", operation_id="bingx_test"
)
async def test_connection(
    access: Annotated[Access, Depends(authorize("bingx.test"))], services: ServicesDep
) -> BingxResult:
    caller = access.caller
    command = VerifyCredential(
        user_id=caller.user_id, actor=caller.actor(), correlation_id=access.request_id
    )
    reply = await send(services, command, timeout=services.settings.connect_timeout_s)
    await _audited_reply(services, access, "bingx.test", reply, {})
    if not reply.ok:
        raise _refused(reply)
    checked = check(reply, CredentialChecked)
    await settle(services, "credentials")
    stored = await services.db.read(credential_of, caller.user_id)
    return BingxResult(
        success=True,
        message="BingX connection verified",
        account_type=stored.account_type,
        balance=Decimal(checked.balance),
        api_key_last4=stored.api_key_last4,
        environment=stored.environment,
    )


@router.post(
    "/api/bingx/disconnect",
    summary="Disconnect BingX: the bot stops, the keys are destroyed in Vault",
    operation_id="bingx_disconnect",
)
async def disconnect(
    access: Annotated[Access, Depends(authorize("bingx.disconnect"))], services: ServicesDep
) -> BingxResult:
    caller = access.caller
    bot = await services.db.read(bot_of, caller.user_id)
    if bot.status in ("running", "paused"):
        stop = StopBot(
            user_id=caller.user_id,
            reason="BingX disconnected",
            actor=caller.actor(),
            correlation_id=access.request_id,
        )
        stopped = await send(services, stop)
        if not stopped.ok:
            raise _refused(stopped)
    command = DisconnectCredential(
        user_id=caller.user_id, actor=caller.actor(), correlation_id=access.request_id
    )
    reply = await send(services, command, timeout=services.settings.connect_timeout_s)
    await _audited_reply(services, access, "bingx.disconnect", reply, {})
    if not reply.ok:
        raise _refused(reply)
    await settle(services, "credentials", "bots")
    return BingxResult(success=True, message="BingX disconnected; the keys are destroyed")


@router.get(
    "/api/bingx/egress",
    summary="Fleet's egress IP addresses, to bind a BingX API key to (IP whitelist)",
    operation_id="bingx_egress",
)
async def egress(
    access: Annotated[Access, Depends(authorize("bingx.connect"))], services: ServicesDep
) -> EgressOut:
    """The addresses an admin set in the system settings (``egress_addresses``); empty
    while none is set (the connection page then says to ask an admin)."""
    command = GetSystemSettings(actor=access.caller.actor(), correlation_id=access.request_id)
    state = await ask(services, command, SystemSettingsState)
    return EgressOut(addresses=list(state.egress_addresses or ()))
