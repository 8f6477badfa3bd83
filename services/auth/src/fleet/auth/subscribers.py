"""Thin NATS request-reply subscribers, one per auth command (queue group ``auth``):
decode, call the handler, reply. The one place errors become replies.

Commands are decoded here, not by FastStream, so that malformed input becomes an
``invalid`` reply naming the field (never a log line quoting the input, which could be a
password). Passwords in a command are registered with the log redactor while it is
handled. A handler bug is logged and answered ``unavailable``; the service lives on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import prometheus_client
from faststream.nats import NatsBroker

from fleet.auth import email_links, handlers, login, plans, two_factor
from fleet.auth.accounts import AuthDeps
from fleet.auth.errors import (
    AuthError,
    Conflict,
    Forbidden,
    InvalidInput,
    Locked,
    NotFound,
    SecondFactorRequired,
    Throttled,
    Unauthenticated,
)
from fleet.bus.commands import decode, route
from fleet.events import auth_commands
from fleet.events.auth_commands import AuthCommand
from fleet.events.commands import CommandReply
from fleet.eventstore import ConcurrencyError
from fleet.obs import count_unexpected, get_logger
from fleet.obs.logging import forget_secret, register_secret

QUEUE = "auth"
# Logins spend most of their time hashing in a thread pool: answer several at once so two
# cores hash in parallel (each decision still appends with optimistic concurrency), and
# enough that a refusal over the verification budget never queues behind hashes.
WORKERS = 16
Handler = Callable[[Any, AuthDeps], Awaitable[CommandReply]]
Deps = Callable[[], AuthDeps]  # built at startup, after the broker is defined
SECRET_FIELDS = (
    "password",
    "current_password",
    "new_password",
    "totp_code",
    "code",
    "token",
)

HANDLERS: dict[type[AuthCommand], Handler] = {
    auth_commands.CreateUser: handlers.create_user,
    auth_commands.ChangeSystemSettings: handlers.change_system_settings,
    auth_commands.GetSystemSettings: handlers.get_system_settings,
    auth_commands.DefinePlan: plans.define_plan,
    auth_commands.SetDefaultPlan: plans.set_default_plan,
    auth_commands.AssignPlan: plans.assign_plan,
    auth_commands.GetPlans: plans.get_plans,
    auth_commands.SetFeeTerms: plans.set_fee_terms,
    auth_commands.SetInvoiceStatus: plans.set_invoice_status,
    auth_commands.Authenticate: login.authenticate,
    auth_commands.ChangePassword: login.change_password,
    auth_commands.ResetPassword: handlers.reset_password,
    auth_commands.ChangeRole: handlers.change_role,
    auth_commands.SetActive: handlers.set_active,
    auth_commands.DeleteUser: handlers.delete_user,
    auth_commands.UnlockUser: handlers.unlock_user,
    auth_commands.ChangeEmail: handlers.change_email,
    auth_commands.ChangeViewerGrant: handlers.change_viewer_grant,
    auth_commands.UpdateTradingSettings: handlers.update_trading_settings,
    auth_commands.CreateAccessToken: handlers.create_access_token,
    auth_commands.RevokeAccessToken: handlers.revoke_access_token,
    auth_commands.RevokeAllAccessTokens: handlers.revoke_all_access_tokens,
    auth_commands.BootstrapAdmin: handlers.bootstrap_admin,
    auth_commands.StartTotpEnrolment: two_factor.start_enrolment,
    auth_commands.ConfirmTotp: two_factor.confirm,
    auth_commands.DisableTotp: two_factor.disable,
    auth_commands.RequireTotp: two_factor.require,
    auth_commands.VerifyEmail: email_links.verify_email,
    auth_commands.RequestPasswordReset: email_links.request_password_reset,
    auth_commands.ConfirmPasswordReset: email_links.confirm_password_reset,
    auth_commands.ResendVerification: email_links.resend_verification,
}

COMMANDS = prometheus_client.Counter(
    "fleet_auth_commands", "Auth commands answered, by outcome.", ["command", "outcome"]
)


def register(broker: NatsBroker, deps: Deps) -> None:
    """Subscribe every auth command on the broker (queue group ``auth`` scales out)."""
    for command_type, handler in HANDLERS.items():

        async def on_body(
            body: bytes,
            command_type: type[AuthCommand] = command_type,
            handler: Handler = handler,
        ) -> CommandReply:
            return await answer(command_type, handler, body, deps)

        route(broker, command_type, on_body, queue=QUEUE, workers=WORKERS)


async def answer(
    command_type: type[AuthCommand], handler: Handler, body: bytes, deps: Deps
) -> CommandReply:
    """Decode ``body`` as ``command_type``, run ``handler``, map every error to a reply."""
    command = decode(command_type, body)
    if isinstance(command, CommandReply):
        reply = command
    else:
        with _secrets_redacted(command):
            reply = await _run(handler, command, deps)
    COMMANDS.labels(command_type.name, reply.error.code if reply.error else "ok").inc()
    return reply


async def _run(handler: Handler, command: AuthCommand, deps: Deps) -> CommandReply:
    try:
        return await handler(command, deps())
    except AuthError as exc:
        return refusal(exc)
    except ConcurrencyError:
        return CommandReply.failure("conflict", "changed concurrently; try again")
    except Exception as exc:  # a bug must cost one reply, never the service
        count_unexpected("auth.command")
        get_logger().exception("command failed", command=command.name, error=type(exc).__name__)
        return CommandReply.failure("unavailable", "the auth service could not answer; try again")


def refusal(exc: AuthError) -> CommandReply:  # noqa: PLR0911 - one return per error kind
    """The reply for a domain refusal (the edge's one mapping)."""
    message = str(exc)
    if isinstance(exc, InvalidInput):
        return CommandReply.failure("invalid", message, field=exc.field)
    if isinstance(exc, NotFound):
        return CommandReply.failure("not_found", message, field=exc.field)
    if isinstance(exc, Throttled):
        return CommandReply.failure("throttled", message, retry_after_s=exc.retry_after_s)
    if isinstance(exc, Locked):
        until = exc.until.isoformat()
        return CommandReply.failure("locked", message, until=until)
    if isinstance(exc, SecondFactorRequired):
        return CommandReply.failure("unauthenticated", message, second_factor="totp")
    if isinstance(exc, Unauthenticated):
        return CommandReply.failure("unauthenticated", message)
    if isinstance(exc, Forbidden):
        return CommandReply.failure("forbidden", message)
    if isinstance(exc, Conflict):
        return CommandReply.failure("conflict", message)
    return CommandReply.failure("unavailable", message)


@contextmanager
def _secrets_redacted(command: AuthCommand) -> Iterator[None]:
    values = [getattr(command, name, None) for name in SECRET_FIELDS]
    secrets = [value for value in values if isinstance(value, str) and value]
    for value in secrets:
        register_secret(value)
    try:
        yield
    finally:
        for value in secrets:
            forget_secret(value)
