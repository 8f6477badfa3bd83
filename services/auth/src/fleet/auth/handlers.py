"""One function per account command: load, decide, append, reply. Logins and password
changes are in ``login.py``. Refusals are raised as ``fleet.auth.errors`` and become
replies at the edge (``subscribers``)."""

from __future__ import annotations

from fleet.auth import accounts, email_links, plans
from fleet.auth.accounts import AuthDeps, execute, load_user
from fleet.auth.domain.access_tokens import NewToken, new_token, token_sha256
from fleet.auth.domain.identity import (
    check_email,
    check_username,
    new_user_id,
    normalize_email,
)
from fleet.auth.domain.password_policy import check_password, generate_password
from fleet.auth.domain.platform_settings import PLATFORM_ID
from fleet.auth.errors import Forbidden, InvalidInput, NotFound
from fleet.events.auth_commands import (
    AccountChanged,
    AdminBootstrapped,
    BootstrapAdmin,
    ChangeEmail,
    ChangeRole,
    ChangeSystemSettings,
    ChangeViewerGrant,
    CreateAccessToken,
    CreateUser,
    DeleteUser,
    GetSystemSettings,
    ResetPassword,
    RevokeAccessToken,
    RevokeAllAccessTokens,
    SetActive,
    SystemSettingsState,
    TokenIssued,
    TokensRevoked,
    UnlockAnswered,
    UnlockUser,
    UpdateTradingSettings,
    UserRegistered,
)
from fleet.events.commands import Command, CommandReply, Reply
from fleet.events.ids import UserId
from fleet.events.users import Role


def _status(changed: bool) -> CommandReply:
    outcome = AccountChanged(status="changed" if changed else "unchanged")
    return Reply[AccountChanged].accepted(outcome).wire()


async def create_user(command: CreateUser, deps: AuthDeps) -> CommandReply:
    """A new account; its username is claimed first, so it is unique across instances."""
    user_id = await _register(
        deps,
        command,
        (command.username, command.email, command.role),
        command.password,
        must_change=command.must_change_password,
    )
    return Reply[UserRegistered].accepted(UserRegistered(user_id=user_id)).wire()


async def _register(
    deps: AuthDeps,
    command: Command,
    identity: tuple[str, str, Role],
    password: str,
    *,
    must_change: bool = False,
) -> UserId:
    username, email, role = identity
    display, address = check_username(username), check_email(email)
    check_password(password, display)
    user_id = new_user_id()
    await accounts.claim_username(deps, display, user_id, command)
    await accounts.claim_email(deps, address, user_id, command)
    password_hash = await deps.hasher.hash(password)
    address, password_hash = await deps.personal.seal(user_id, address, password_hash)
    actor = command.actor.user_id
    await execute(
        deps.users,
        user_id,
        lambda user: user.create(
            display, address, role, password_hash, actor, must_change=must_change
        ),
        command,
    )
    if role == "admin":
        await accounts.join_roster(deps, user_id, command)
    elif role == "trader":
        await plans.assign_default_plan(deps, user_id, command)
    if address:
        await email_links.issue_verification(deps, user_id, command)
    return user_id


async def bootstrap_admin(command: BootstrapAdmin, deps: AuthDeps) -> CommandReply:
    """The first admin, only while no active admin exists (``fleet up`` on a fresh log)."""
    if await accounts.active_admins(deps):
        existing = AdminBootstrapped(created=False, username=command.username)
        return Reply[AdminBootstrapped].accepted(existing).wire()
    password = command.password or generate_password(command.username)
    user_id = await _register(
        deps,
        command,
        (command.username, command.email, "admin"),
        password,
        must_change=command.password is None,
    )
    created = AdminBootstrapped(
        created=True,
        username=command.username,
        user_id=user_id,
        password=password if command.password is None else None,  # generated: shown once
    )
    return Reply[AdminBootstrapped].accepted(created).wire()


async def reset_password(command: ResetPassword, deps: AuthDeps) -> CommandReply:
    """An admin sets a user's password (by default to be changed at the next login)."""
    user = await load_user(deps, command.user_id)
    password_hash = await accounts.new_password_hash(deps, user, command.new_password)
    await execute(
        deps.users,
        user.id,
        lambda u: u.set_password(password_hash, "reset", must_change=command.must_change),
        command,
    )
    return _status(True)


async def change_role(command: ChangeRole, deps: AuthDeps) -> CommandReply:
    """Admin, trader or viewer; the last active admin cannot be demoted."""
    user = await load_user(deps, command.user_id)
    if command.role != "admin":
        await accounts.leave_roster(deps, user, "demoted", command)
    changed = await execute(deps.users, user.id, lambda u: u.change_role(command.role), command)
    if command.role == "admin" and user.state.active:
        await accounts.join_roster(deps, user.id, command)
    return _status(changed)


async def set_active(command: SetActive, deps: AuthDeps) -> CommandReply:
    """Activate or deactivate; the last active admin cannot be deactivated."""
    user = await load_user(deps, command.user_id)
    if not command.active:
        await accounts.leave_roster(deps, user, "deactivated", command)
    changed = await execute(
        deps.users, user.id, lambda u: u.set_active(command.active, command.reason), command
    )
    if command.active and user.state.role == "admin":
        await accounts.join_roster(deps, user.id, command)
    return _status(changed)


async def delete_user(command: DeleteUser, deps: AuthDeps) -> CommandReply:
    """Delete (tokens revoked, username freed); the last active admin cannot be deleted.
    The user's data key is destroyed last: his e-mail, addresses and password hash in the
    log read as ``erased`` from then on (a retry of a half-done deletion finishes it)."""
    try:
        user = await load_user(deps, command.user_id)
    except NotFound:
        if await accounts.was_deleted(deps, command.user_id):
            await deps.personal.destroy(command.user_id)
        raise
    await accounts.leave_roster(deps, user, "deleted", command)
    address = await deps.personal.reveal(user.state.email) if user.state.email else ""
    await execute(deps.users, user.id, lambda u: u.delete(), command)
    await accounts.release_username(deps, user, command)
    await accounts.release_email(deps, address, user.id, command)
    await deps.personal.destroy(user.id)
    return _status(True)


async def unlock_user(command: UnlockUser, deps: AuthDeps) -> CommandReply:
    """Lift a lockout (and any back-off) before it expires."""
    await load_user(deps, command.user_id)
    now = deps.clock()
    unlocked = await execute(
        deps.users, command.user_id, lambda u: u.unlock(now, deps.policy), command
    )
    outcome = UnlockAnswered(status="unlocked" if unlocked else "not_locked")
    return Reply[UnlockAnswered].accepted(outcome).wire()


async def change_email(command: ChangeEmail, deps: AuthDeps) -> CommandReply:
    """A new address (unique in any case: ``conflict`` when another account holds it);
    the old one is released for others."""
    address = check_email(command.email)
    user = await load_user(deps, command.user_id)
    previous = await deps.personal.reveal(user.state.email) if user.state.email else ""
    if previous == address:
        return _status(False)
    await accounts.claim_email(deps, address, user.id, command)
    (sealed,) = await deps.personal.seal(user.id, address)
    changed = await execute(deps.users, user.id, lambda u: u.change_email(sealed), command)
    if normalize_email(previous) != normalize_email(address):
        await accounts.release_email(deps, previous, user.id, command)
    if address:  # a new address (or a new case of it) is verified again
        await email_links.issue_verification(deps, user.id, command)
    return _status(changed)


async def change_viewer_grant(command: ChangeViewerGrant, deps: AuthDeps) -> CommandReply:
    """Viewer X may (no longer) read trader Y; only a viewer and a trader can be linked."""
    await load_user(deps, command.viewer_id, "viewer_id")
    if command.granted:
        trader = await load_user(deps, command.trader_id, "trader_id")
        if trader.state.role != "trader":
            raise InvalidInput("trader_id", "a grant links a viewer to a trader; this is not one")
    changed = await execute(
        deps.users,
        command.viewer_id,
        lambda u: u.change_grant(command.trader_id, command.granted),
        command,
    )
    return _status(changed)


async def update_trading_settings(command: UpdateTradingSettings, deps: AuthDeps) -> CommandReply:
    """Merge a partial change into the trader's settings; the whole result is validated."""
    await load_user(deps, command.user_id)
    platform = await accounts.platform_settings(deps)
    symbols = platform.symbols_or(deps.symbols)
    changed = await execute(
        deps.users,
        command.user_id,
        lambda u: u.update_settings(command.changes, symbols, platform.timeframes),
        command,
    )
    return _status(changed)


async def change_system_settings(command: ChangeSystemSettings, deps: AuthDeps) -> CommandReply:
    """An admin's change of the platform's settings (the gateway checked the role)."""
    changes = {
        "allowed_symbols": command.allowed_symbols,
        "timeframes": command.timeframes,
        "egress_addresses": command.egress_addresses,
        "product_name": command.product_name,
        "logo_url": command.logo_url,
        "accent_colour": command.accent_colour,
    }
    by = command.actor.user_id
    changed = await execute(
        deps.platform,
        PLATFORM_ID,
        lambda p: p.change(changes, command.reset, by),
        command,
    )
    return await _settings_state(deps, changed=changed)


async def get_system_settings(_command: GetSystemSettings, deps: AuthDeps) -> CommandReply:
    """The platform's settings as set, and the defaults auth applies."""
    return await _settings_state(deps, changed=False)


async def _settings_state(deps: AuthDeps, *, changed: bool) -> CommandReply:
    platform = await accounts.platform_settings(deps)
    state = SystemSettingsState(
        **{name: _listed(value) for name, value in platform.current().items()},
        default_symbols=list(deps.symbols),
        changed=changed,
    )
    return Reply[SystemSettingsState].accepted(state).wire()


def _listed(values: tuple[str, ...] | str | None) -> list[str] | str | None:
    return list(values) if isinstance(values, tuple) else values


async def create_access_token(command: CreateAccessToken, deps: AuthDeps) -> CommandReply:
    """A personal access token: its SHA-256 is stored, the token is replied this once.
    Without ``expires_in_days`` it lives the longest allowed (``FLEET_TOKEN_MAX_DAYS``)."""
    user = await load_user(deps, command.user_id)
    if not user.state.active:
        raise Forbidden("a deactivated account cannot create tokens")
    token_id, token = new_token()
    days = command.expires_in_days or deps.token_rules.max_days
    request = NewToken(token_id, token_sha256(token), command.token_name, command.scope, days)
    now = deps.clock()
    expires_at = await execute(
        deps.users, user.id, lambda u: u.create_token(request, deps.token_rules, now), command
    )
    issued = TokenIssued(token_id=token_id, token=token, expires_at=expires_at.isoformat())
    return Reply[TokenIssued].accepted(issued).wire()


async def revoke_access_token(command: RevokeAccessToken, deps: AuthDeps) -> CommandReply:
    await load_user(deps, command.user_id)
    await execute(deps.users, command.user_id, lambda u: u.revoke_token(command.token_id), command)
    return _status(True)


async def revoke_all_access_tokens(command: RevokeAllAccessTokens, deps: AuthDeps) -> CommandReply:
    """Every live token of the user (logout everywhere, an admin's revocation)."""
    await load_user(deps, command.user_id)
    revoked = await execute(deps.users, command.user_id, lambda u: u.revoke_all_tokens(), command)
    return Reply[TokensRevoked].accepted(TokensRevoked(revoked=revoked)).wire()
