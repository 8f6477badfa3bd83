"""Two-factor authentication commands: enrol, confirm with a code, disable with a code.

The secret is sealed with the user's data key in the log (``user.totp_enrolment_started``)
and replied only by the enrolment itself; recovery codes are replied once by the
confirmation and stored as SHA-256. A wrong code here counts towards the same back-off
of (account, source) and source as a wrong password (``login.count_failure``).
"""

from __future__ import annotations

from typing import NoReturn

from fleet.auth.accounts import AuthDeps, execute, load_user
from fleet.auth.domain.identity import normalize_username
from fleet.auth.domain.two_factor import (
    kind_of,
    new_recovery_codes,
    new_secret,
    provisioning_uri,
    recovery_hash,
    totp_step,
)
from fleet.auth.domain.user import User
from fleet.auth.errors import Conflict, InvalidInput, Throttled
from fleet.auth.login import count_failure
from fleet.events.auth_commands import (
    AccountChanged,
    ConfirmTotp,
    DisableTotp,
    RequireTotp,
    StartTotpEnrolment,
    TotpConfirmed,
    TotpEnrolment,
)
from fleet.events.commands import Command, CommandReply, Reply

WRONG_CODE = "wrong code"


async def start_enrolment(command: StartTotpEnrolment, deps: AuthDeps) -> CommandReply:
    """A fresh pending secret; its otpauth:// URI names the user for the app."""
    user = await load_user(deps, command.user_id)
    if user.state.totp_enabled:
        raise Conflict("two-factor authentication is already on; disable it first")
    secret = new_secret()
    (sealed,) = await deps.personal.seal(user.id, secret)
    await execute(deps.users, user.id, lambda u: u.start_totp(sealed), command)
    uri = provisioning_uri(secret, user.state.username)
    return Reply[TotpEnrolment].accepted(TotpEnrolment(secret=secret, otpauth_uri=uri)).wire()


async def confirm(command: ConfirmTotp, deps: AuthDeps) -> CommandReply:
    """A code of the pending secret switches two-factor authentication on."""
    user = await load_user(deps, command.user_id)
    if user.state.totp_enabled:
        raise Conflict("two-factor authentication is already on")
    if not user.state.totp_pending:
        raise Conflict("start the enrolment first")
    if kind_of(command.code) != "totp":
        raise InvalidInput("code", "expected the 6-digit code from your authenticator app")
    _check_throttle(deps, user, command)
    secret = await deps.personal.reveal(user.state.totp_pending)
    step = totp_step(secret, command.code, deps.clock(), after=user.state.totp_last_step)
    if step is None:  # wrong, or of a time step a code was accepted in already (replayed)
        _wrong(deps, user, command)
    codes = new_recovery_codes()
    hashes = [recovery_hash(code) for code in codes]
    await execute(deps.users, user.id, lambda u: u.enable_totp(hashes, step), command)
    return Reply[TotpConfirmed].accepted(TotpConfirmed(recovery_codes=codes)).wire()


async def disable(command: DisableTotp, deps: AuthDeps) -> CommandReply:
    """A current code or an unspent recovery code switches it off."""
    user = await load_user(deps, command.user_id)
    if not user.state.totp_enabled:
        changed = await execute(deps.users, user.id, lambda u: u.disable_totp(), command)
        return _status(changed)
    kind = kind_of(command.code)
    _check_throttle(deps, user, command)
    if kind == "recovery":
        matches = recovery_hash(command.code) in user.state.recovery_codes
    else:  # a code of a time step already used (a sign-in's, seen over a shoulder) is wrong
        secret = await deps.personal.reveal(user.state.totp_secret)
        last = user.state.totp_last_step
        matches = totp_step(secret, command.code, deps.clock(), after=last) is not None
    if not matches:
        _wrong(deps, user, command)
    changed = await execute(
        deps.users, user.id, lambda u: u.disable_totp("disabled by the user"), command
    )
    return _status(changed)


async def require(command: RequireTotp, deps: AuthDeps) -> CommandReply:
    """An admin's requirement for one user (who then must enrol before anything else)."""
    await load_user(deps, command.user_id)
    changed = await execute(
        deps.users, command.user_id, lambda u: u.require_totp(command.required), command
    )
    return _status(changed)


def _check_throttle(deps: AuthDeps, user: User, command: Command) -> None:
    wait = deps.ledger.wait(normalize_username(user.state.username), command.actor.ip, deps.clock())
    if wait > 0:
        raise Throttled(round(wait, 3))


def _wrong(deps: AuthDeps, user: User, command: Command) -> NoReturn:
    count_failure(deps, normalize_username(user.state.username), command.actor.ip)
    raise InvalidInput("code", WRONG_CODE)


def _status(changed: bool) -> CommandReply:
    status = AccountChanged(status="changed" if changed else "unchanged")
    return Reply[AccountChanged].accepted(status).wire()
