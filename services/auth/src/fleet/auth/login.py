"""Logins and password changes: throttling, lockout, argon2 verification, rehashing.

An unknown username takes the same path as a wrong password: its failures are counted
(in memory) by the same rules, it is throttled and locked alike, and its password is
verified against a dummy argon2 hash, so neither the reply nor the work reveals whether
the name exists. Deleted users are unknown; deactivated users get ``forbidden``, but only
after the right password.
"""

from __future__ import annotations

from datetime import datetime

from fleet.auth.accounts import AuthDeps, execute, find_by_username, load_user
from fleet.auth.domain.identity import LOOKUP_KEY_MAX, normalize_username
from fleet.auth.domain.login_policy import FailureRecord
from fleet.auth.domain.password_policy import check_password
from fleet.auth.domain.user import User
from fleet.auth.errors import Forbidden, InvalidInput, Locked, Throttled, Unauthenticated
from fleet.events.auth_commands import Authenticate, ChangePassword
from fleet.events.commands import Command, CommandReply

WRONG_CREDENTIALS = "wrong username or password"


class _Attempt:
    """One login attempt: whose failure record it moves, and how."""

    def __init__(self, deps: AuthDeps, command: Command, user: User | None, name: str) -> None:
        self.deps, self.command, self.user = deps, command, user
        self.now = deps.clock()
        self.ip = command.actor.ip
        self.unknown_key = "user:" + name[:LOOKUP_KEY_MAX]

    @property
    def record(self) -> FailureRecord:
        return self.user.state.failures if self.user else self.deps.ledger.get(self.unknown_key)

    def refuse_if_locked(self) -> None:
        until = self.deps.policy.locked_until(self.record, self.now)
        if until is not None:
            raise Locked(until)

    async def refuse_if_throttled(self) -> None:
        """Back-off of the user (counted as a failure) or of the client IP (not counted)."""
        policy = self.deps.policy
        ip_wait = policy.retry_after(self._ip_record, self.now, policy.ip_free_failures)
        user_wait = policy.retry_after(self.record, self.now, policy.user_free_failures)
        if user_wait > 0:
            await self.fail(throttled=True)
            user_wait = policy.retry_after(self.record, self.now, policy.user_free_failures)
        if user_wait > 0 or ip_wait > 0:
            raise Throttled(round(max(user_wait, ip_wait), 3))

    @property
    def _ip_record(self) -> FailureRecord:
        return self.deps.ledger.get("ip:" + self.ip)

    async def fail(self, *, throttled: bool) -> None:
        """Count the failure; :class:`Locked` when it locked the account."""
        if not throttled:
            self.deps.ledger.fail("ip:" + self.ip, self.now, can_lock=False)
        if self.user is None:
            self.deps.ledger.fail(self.unknown_key, self.now)
        else:
            deps, now, ip = self.deps, self.now, self.ip
            self.user = await execute(
                deps.users,
                self.user.id,
                lambda u: _failed(u, ip, now, deps, throttled=throttled),
                self.command,
            )
        self.refuse_if_locked()


def _failed(user: User, ip: str, now: datetime, deps: AuthDeps, *, throttled: bool) -> User:
    user.login_failed(ip, now, deps.policy, throttled=throttled)
    return user


async def authenticate(command: Authenticate, deps: AuthDeps) -> CommandReply:
    """user_id, username, role, must_change_password; or a refusal (see module doc)."""
    name = normalize_username(command.username)
    user = await find_by_username(deps, name)
    attempt = _Attempt(deps, command, user, name)
    attempt.refuse_if_locked()
    await attempt.refuse_if_throttled()
    known_hash = user.state.password_hash if user else ""
    matches = await deps.hasher.verify(known_hash or deps.hasher.dummy_hash, command.password)
    if user is None or not known_hash or not matches:
        await attempt.fail(throttled=False)
        raise Unauthenticated(WRONG_CREDENTIALS)
    if not user.state.active:
        raise Forbidden("this account is deactivated")
    user = await _succeed(command, deps, user)
    return CommandReply.success(
        user_id=user.id,
        username=user.state.username,
        role=user.state.role,
        must_change_password=user.state.must_change_password,
    )


async def _succeed(command: Authenticate, deps: AuthDeps, user: User) -> User:
    rehashed = None
    if deps.hasher.needs_rehash(user.state.password_hash):
        rehashed = await deps.hasher.hash(command.password)

    def succeed(u: User) -> User:
        u.login_succeeded(command.actor.ip, command.user_agent)
        if rehashed is not None:
            keep = u.state.must_change_password
            u.set_password(rehashed, "rehashed", must_change=keep)
        return u

    return await execute(deps.users, user.id, succeed, command)


async def change_password(command: ChangePassword, deps: AuthDeps) -> CommandReply:
    """The user's own change: the current password is checked like a login (a wrong one
    counts as a failure and can lock the account); the new one must pass the policy."""
    user = await load_user(deps, command.user_id)
    check_password(command.new_password, user.state.username, "new_password")
    if command.new_password == command.current_password:
        raise InvalidInput("new_password", "the new password must differ from the current one")
    attempt = _Attempt(deps, command, user, normalize_username(user.state.username))
    attempt.refuse_if_locked()
    await attempt.refuse_if_throttled()
    if not await deps.hasher.verify(user.state.password_hash, command.current_password):
        await attempt.fail(throttled=False)
        raise Unauthenticated("the current password is wrong")
    password_hash = await deps.hasher.hash(command.new_password)
    await execute(
        deps.users,
        user.id,
        lambda u: u.set_password(password_hash, "changed", must_change=False),
        command,
    )
    return CommandReply.success(status="changed")
