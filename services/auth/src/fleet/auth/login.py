"""Logins and password changes: throttling, the verification budget, argon2, rehashing.

Order of a login, cheapest refusal first: the back-off of the (account, source) pair and
of the source (``throttled``), then a verification slot (``throttled`` / ``busy``: the
source's share or every slot is taken), then argon2. Nothing locks an account: a
stranger's failures slow the stranger's own source only, so the owner signs in from
anywhere else and keeps his sessions and tokens. Refusals are counted in memory and
written once per source and window (``refusal_log``), never one event per attempt.

An unknown username takes the same path as a wrong password and is verified against a
dummy argon2 hash, so neither the reply nor the work reveals whether the name exists.
Deleted users are unknown; deactivated users get ``forbidden``, after the right password.

A user with two-factor authentication signs in in two steps: the password alone is
answered ``unauthenticated`` with ``second_factor: totp`` (nothing recorded); the password
with a TOTP code or a recovery code signs in. A wrong code is a failure of the pair and
the source like a wrong password, and the pair's failures are cleared only once both
factors passed, so guessing codes meets the same back-off as guessing passwords.
"""

from __future__ import annotations

from fleet.auth.accounts import AuthDeps, execute, find_by_username, load_user
from fleet.auth.domain.identity import LOOKUP_KEY_MAX, normalize_username
from fleet.auth.domain.login_budget import Busy
from fleet.auth.domain.login_policy import pair_key, source_key
from fleet.auth.domain.password_policy import check_password
from fleet.auth.domain.two_factor import kind_of, recovery_hash, totp_step
from fleet.auth.domain.user import User
from fleet.auth.errors import (
    Forbidden,
    InvalidInput,
    SecondFactorRequired,
    Throttled,
    Unauthenticated,
)
from fleet.events.auth_commands import (
    AccountChanged,
    Authenticate,
    Authenticated,
    ChangePassword,
)
from fleet.events.commands import Command, CommandReply, Reply
from fleet.events.personal import ERASED

WRONG_CREDENTIALS = "wrong username or password"
WRONG_CODE = "wrong code"


async def _verify(
    deps: AuthDeps,
    command: Command,
    name: str,
    password_hash: str,
    password: str,
    *,
    forget: bool = True,
) -> bool:
    """Throttling, then argon2 within the budget; a refusal is counted and raised.
    ``forget``: a match clears the pair's failures (not while a second factor is due)."""
    source, now = command.actor.ip, deps.clock()
    wait = deps.ledger.wait(name, source, now)
    try:
        if wait > 0:
            raise Throttled(round(wait, 3))
        with deps.budget.admit(source, now):
            matches = await deps.hasher.verify(password_hash or deps.hasher.dummy_hash, password)
    except Throttled as refused:
        deps.tally.note(source, "busy" if isinstance(refused, Busy) else "throttled", name, now)
        raise
    if not matches or not password_hash:
        count_failure(deps, name, source)
        return False
    if forget:
        deps.ledger.forget(pair_key(name, source))
    return True


def count_failure(deps: AuthDeps, name: str, source: str) -> None:
    """A wrong password or a wrong second factor: the same back-off of pair and source."""
    now = deps.clock()
    deps.ledger.fail(pair_key(name, source), now)
    deps.ledger.fail(source_key(source), now)
    deps.tally.note(source, "unauthenticated", name, now)


async def authenticate(command: Authenticate, deps: AuthDeps) -> CommandReply:
    """user_id, username, role, must_change_password; or a refusal (see module doc)."""
    name = normalize_username(command.username)[:LOOKUP_KEY_MAX]
    user = await find_by_username(deps, name)
    known_hash = await _hash_of(deps, user)
    verified = await _verify(deps, command, name, known_hash, command.password, forget=False)
    if not verified or user is None:
        raise Unauthenticated(WRONG_CREDENTIALS)
    if not user.state.active:
        raise Forbidden("this account is deactivated")
    spend, step = await _second_factor(command, deps, user, name)
    deps.ledger.forget(pair_key(name, command.actor.ip))
    user = await _succeed(command, deps, user, known_hash, (spend, step))
    authenticated = Authenticated(
        user_id=user.id,
        username=user.state.username,
        role=user.state.role,
        must_change_password=user.state.must_change_password,
        totp_enabled=user.state.totp_enabled,
    )
    return Reply[Authenticated].accepted(authenticated).wire()


async def _hash_of(deps: AuthDeps, user: User | None) -> str:
    """The user's argon2id hash, opened with his data key ("" if none or erased)."""
    if user is None or not user.state.password_hash:
        return ""
    opened = await deps.personal.reveal(user.state.password_hash)
    return "" if opened == ERASED else opened


async def _second_factor(
    command: Authenticate, deps: AuthDeps, user: User, name: str
) -> tuple[str | None, int | None]:
    """For a user with two-factor authentication: the code is required and checked (a
    wrong one, or a TOTP code of a step already used, counts like a wrong password).
    Returns the SHA-256 of a recovery code to spend with the success, and the time step
    of the TOTP code to record with it."""
    if not user.state.totp_enabled:
        return None, None
    if not command.totp_code:
        raise SecondFactorRequired
    kind = kind_of(command.totp_code, "totp_code")
    if kind == "recovery":
        digest = recovery_hash(command.totp_code)
        if digest in user.state.recovery_codes:
            return digest, None
    else:
        secret = await deps.personal.reveal(user.state.totp_secret)
        last = user.state.totp_last_step
        step = totp_step(secret, command.totp_code, deps.clock(), after=last)
        if step is not None:
            return None, step
    count_failure(deps, name, command.actor.ip)
    raise Unauthenticated(WRONG_CODE)


async def _succeed(
    command: Authenticate,
    deps: AuthDeps,
    user: User,
    known_hash: str,
    second: tuple[str | None, int | None],
) -> User:
    spend, step = second
    rehashed = None
    if deps.hasher.needs_rehash(known_hash):
        (rehashed,) = await deps.personal.seal(user.id, await deps.hasher.hash(command.password))
    ip, agent = await deps.personal.seal(user.id, command.actor.ip, command.user_agent)

    def succeed(u: User) -> User:
        if spend is not None and not u.spend_recovery_code(spend):
            raise Unauthenticated(WRONG_CODE)  # spent by a concurrent login a moment ago
        if step is not None and step <= u.state.totp_last_step:
            raise Unauthenticated(WRONG_CODE)  # used by a concurrent login a moment ago
        u.login_succeeded(ip, agent, step)
        if rehashed is not None:
            keep = u.state.must_change_password
            u.set_password(rehashed, "rehashed", must_change=keep)
        return u

    return await execute(deps.users, user.id, succeed, command)


async def change_password(command: ChangePassword, deps: AuthDeps) -> CommandReply:
    """The user's own change: the current password is checked like a login (a wrong one
    counts as a failure of the pair and the source); the new one must pass the policy.
    Every access token of the user is revoked with it."""
    user = await load_user(deps, command.user_id)
    check_password(command.new_password, user.state.username, "new_password")
    if command.new_password == command.current_password:
        raise InvalidInput("new_password", "the new password must differ from the current one")
    name = normalize_username(user.state.username)
    known_hash = await _hash_of(deps, user)
    if not await _verify(deps, command, name, known_hash, command.current_password):
        raise Unauthenticated("the current password is wrong")
    (password_hash,) = await deps.personal.seal(
        user.id, await deps.hasher.hash(command.new_password)
    )
    await execute(
        deps.users,
        user.id,
        lambda u: u.set_password(password_hash, "changed", must_change=False),
        command,
    )
    return Reply[AccountChanged].accepted(AccountChanged(status="changed")).wire()
