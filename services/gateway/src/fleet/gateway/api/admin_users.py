"""The admin API for accounts (``/api/admin/users*``): list, create, read, update,
delete, role, activate, unlock, reset password, viewer grants, access tokens. Every
action on another account is an audit entry. A user an admin creates must change the
admin-chosen password at his first sign-in."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Query

from fleet.events.auth_commands import (
    AccountChanged,
    ChangeEmail,
    ChangeRole,
    ChangeViewerGrant,
    CreateUser,
    DeleteUser,
    RequireTotp,
    ResetPassword,
    RevokeAccessToken,
    SetActive,
    UnlockAnswered,
    UnlockUser,
    UserRegistered,
)
from fleet.events.executor_commands import BotChanged, StopBot
from fleet.events.ids import UserId
from fleet.events.vault_commands import CredentialShredded, DisconnectCredential
from fleet.gateway.api.routing import ServicesDep, audit, audited, make_router, send, settle
from fleet.gateway.deps import Access, Services, authorize
from fleet.gateway.errors import check, from_reply, invalid, not_found
from fleet.gateway.read_models.bots.queries import bot_of
from fleet.gateway.read_models.credentials.queries import credential_of
from fleet.gateway.read_models.users import queries as users
from fleet.gateway.schemas import admin as body
from fleet.gateway.schemas.auth import TokenOut
from fleet.gateway.schemas.base import Done, IdPath, Page
from fleet.gateway.schemas.queries import UsersQuery

router = make_router("admin: users")


async def _fresh_user(services: Services, user_id: str) -> body.UserOut:
    await settle(services, "users")
    user = await services.db.read(users.get_user, user_id)
    if user is None:
        raise not_found("user not found")
    return user


@router.get("/api/admin/users", summary="Every user", operation_id="admin_users_list")
async def list_users(
    access: Annotated[Access, Depends(authorize("admin.users.list"))],
    services: ServicesDep,
    query: Annotated[UsersQuery, Query()],
) -> Page[body.UserOut]:
    return await services.db.read(
        users.list_users,
        role=query.role,
        active=query.active,
        search=query.q,
        limit=query.limit,
        offset=query.offset,
    )


@router.post(
    "/api/admin/users", status_code=201, summary="Create a user", operation_id="admin_users_create"
)
async def create_user(
    new: body.UserCreate,
    access: Annotated[Access, Depends(authorize("admin.users.create"))],
    services: ServicesDep,
) -> body.UserOut:
    command = CreateUser(
        username=new.username,
        password=new.password,
        email=new.email,
        role=new.role,
        must_change_password=True,
        actor=access.caller.actor(),
        correlation_id=access.request_id,
    )
    reply = await send(services, command)
    registered = check(reply, UserRegistered) if reply.ok else None
    user_id = registered.user_id if registered else None
    details = {"username": new.username, "role": new.role}
    if reply.error is not None:
        details["reason"] = reply.error.code
    await audit(
        services,
        access,
        "admin.user.create",
        target=user_id,
        outcome="ok" if reply.ok else "failed",
        details=details,
    )
    if registered is None:
        raise from_reply(reply)
    await settle(services, "users")
    created = await services.db.read(users.get_user, registered.user_id)
    return created or body.UserOut(
        id=registered.user_id,
        username=new.username,
        email=new.email,
        role=new.role,
        active=True,
        locked=False,
        failed_logins=0,
        created_at=datetime.now(UTC),
        created_by=access.caller.user_id,
    )


@router.get("/api/admin/users/{user_id}", summary="One user", operation_id="admin_users_read")
async def read_user(
    user_id: IdPath,
    access: Annotated[Access, Depends(authorize("admin.users.read"))],
    services: ServicesDep,
) -> body.UserOut:
    assert access.target is not None
    if access.target_id != access.caller.user_id:
        await audit(services, access, "admin.user.view", target=access.target_id)
    return users.user_out(access.target)


@router.patch(
    "/api/admin/users/{user_id}", summary="Change a user's email", operation_id="admin_users_update"
)
async def update_user(
    user_id: IdPath,
    change: body.UserUpdate,
    access: Annotated[Access, Depends(authorize("admin.users.update"))],
    services: ServicesDep,
) -> body.UserOut:
    command = ChangeEmail(user_id=access.target_id, email=change.email, actor=access.caller.actor())
    await audited(
        services, access, "admin.user.update", command, AccountChanged, target=access.target_id
    )
    return await _fresh_user(services, access.target_id)


@router.delete(
    "/api/admin/users/{user_id}",
    summary="Delete a user: the bot stops, the BingX keys are destroyed, the account ends",
    operation_id="admin_users_delete",
)
async def delete_user(
    user_id: IdPath,
    access: Annotated[Access, Depends(authorize("admin.users.delete"))],
    services: ServicesDep,
) -> Done:
    target, actor = access.target_id, access.caller.actor()
    if (await services.db.read(bot_of, target)).status in ("running", "paused"):
        stop = StopBot(user_id=target, reason="user deleted", actor=actor)
        await audited(services, access, "admin.bot.stop", stop, BotChanged, target=target)
    if (await services.db.read(credential_of, target)).status in ("verified", "failed", "pending"):
        shred = DisconnectCredential(user_id=target, reason="user deleted", actor=actor)
        await audited(
            services, access, "admin.bingx.disconnect", shred, CredentialShredded, target=target
        )
    command = DeleteUser(user_id=target, actor=actor, correlation_id=access.request_id)
    await audited(services, access, "admin.user.delete", command, AccountChanged, target=target)
    await asyncio.to_thread(services.sessions.end_all, UserId(target))  # their addresses too
    await settle(services, "users")
    return Done(status="deleted", message=f"user {target} deleted")


@router.put(
    "/api/admin/users/{user_id}/role",
    summary="Change a user's role",
    operation_id="admin_users_role",
)
async def change_role(
    user_id: IdPath,
    change: body.RoleChange,
    access: Annotated[Access, Depends(authorize("admin.users.role"))],
    services: ServicesDep,
) -> body.UserOut:
    command = ChangeRole(user_id=access.target_id, role=change.role, actor=access.caller.actor())
    await audited(
        services,
        access,
        "admin.user.role",
        command,
        AccountChanged,
        target=access.target_id,
        details={"role": change.role},
    )
    assert access.target is not None
    if access.target["role"] == "trader" and change.role != "trader":
        await _revoke_grants_on(services, access)
    return await _fresh_user(services, access.target_id)


async def _revoke_grants_on(services: Services, access: Access) -> None:
    """A trader who is no longer one is read by no viewer (his viewers' grants go; the
    read side also checks the role at use, so a grant never outlives the role)."""
    for viewer_id in await services.db.read(users.viewers_granted, access.target_id):
        command = ChangeViewerGrant(
            viewer_id=viewer_id,
            trader_id=access.target_id,
            granted=False,
            actor=access.caller.actor(),
        )
        await audited(
            services,
            access,
            "admin.grant.revoke",
            command,
            AccountChanged,
            target=viewer_id,
            details={"trader_id": access.target_id, "reason": "role_changed"},
        )


@router.put(
    "/api/admin/users/{user_id}/active",
    summary="Activate or deactivate a user (deactivation ends his sessions)",
    operation_id="admin_users_active",
)
async def set_active(
    user_id: IdPath,
    change: body.ActiveChange,
    access: Annotated[Access, Depends(authorize("admin.users.active"))],
    services: ServicesDep,
) -> body.UserOut:
    command = SetActive(
        user_id=access.target_id,
        active=change.active,
        reason=change.reason,
        actor=access.caller.actor(),
    )
    action = "admin.user.activate" if change.active else "admin.user.deactivate"
    await audited(services, access, action, command, AccountChanged, target=access.target_id)
    return await _fresh_user(services, access.target_id)


@router.post(
    "/api/admin/users/{user_id}/unlock",
    summary="Unlock a user locked after failed logins",
    operation_id="admin_users_unlock",
)
async def unlock(
    user_id: IdPath,
    access: Annotated[Access, Depends(authorize("admin.users.unlock"))],
    services: ServicesDep,
) -> body.UserOut:
    command = UnlockUser(user_id=access.target_id, actor=access.caller.actor())
    await audited(
        services, access, "admin.user.unlock", command, UnlockAnswered, target=access.target_id
    )
    return await _fresh_user(services, access.target_id)


@router.post(
    "/api/admin/users/{user_id}/password",
    summary="Reset a user's password (his sessions end)",
    operation_id="admin_users_reset_password",
)
async def reset_password(
    user_id: IdPath,
    reset: body.PasswordReset,
    access: Annotated[Access, Depends(authorize("admin.users.reset_password"))],
    services: ServicesDep,
) -> Done:
    command = ResetPassword(
        user_id=access.target_id, new_password=reset.new_password, actor=access.caller.actor()
    )
    await audited(
        services,
        access,
        "admin.user.reset_password",
        command,
        AccountChanged,
        target=access.target_id,
    )
    await settle(services, "users")
    return Done(status="reset", message="password reset; the user's sessions ended")


@router.get(
    "/api/admin/users/{user_id}/grants",
    summary="The traders a viewer may read",
    operation_id="admin_grants_list",
)
async def list_grants(
    user_id: IdPath,
    access: Annotated[Access, Depends(authorize("admin.grants.list"))],
    services: ServicesDep,
) -> list[body.GrantOut]:
    return await services.db.read(users.grants_of, access.target_id)


async def _change_grant(services: Services, access: Access, trader_id: str, granted: bool) -> None:
    assert access.target is not None
    if access.target["role"] != "viewer":
        raise invalid("user_id", "grants are given to viewers only")
    trader = await services.db.read(users.user_row, trader_id)
    if trader is None or trader["role"] != "trader":
        raise invalid("trader_id", "no trader with this id")
    command = ChangeViewerGrant(
        viewer_id=access.target_id,
        trader_id=trader_id,
        granted=granted,
        actor=access.caller.actor(),
    )
    action = "admin.grant.give" if granted else "admin.grant.revoke"
    await audited(
        services,
        access,
        action,
        command,
        AccountChanged,
        target=access.target_id,
        details={"trader_id": trader_id},
    )
    await settle(services, "users")


@router.put(
    "/api/admin/users/{user_id}/grants/{trader_id}",
    summary="Let a viewer read a trader",
    operation_id="admin_grants_give",
)
async def give_grant(
    user_id: IdPath,
    trader_id: IdPath,
    access: Annotated[Access, Depends(authorize("admin.grants.give"))],
    services: ServicesDep,
) -> list[body.GrantOut]:
    await _change_grant(services, access, trader_id, granted=True)
    return await services.db.read(users.grants_of, access.target_id)


@router.delete(
    "/api/admin/users/{user_id}/grants/{trader_id}",
    summary="Stop a viewer reading a trader",
    operation_id="admin_grants_revoke",
)
async def revoke_grant(
    user_id: IdPath,
    trader_id: IdPath,
    access: Annotated[Access, Depends(authorize("admin.grants.revoke"))],
    services: ServicesDep,
) -> list[body.GrantOut]:
    await _change_grant(services, access, trader_id, granted=False)
    return await services.db.read(users.grants_of, access.target_id)


@router.get(
    "/api/admin/users/{user_id}/tokens",
    summary="A user's access tokens (live, expired and revoked)",
    operation_id="admin_tokens_list",
)
async def list_tokens(
    user_id: IdPath,
    access: Annotated[Access, Depends(authorize("admin.tokens.list"))],
    services: ServicesDep,
) -> list[TokenOut]:
    if access.target_id != access.caller.user_id:
        await audit(services, access, "admin.user.tokens.view", target=access.target_id)
    return await services.db.read(users.tokens_of, access.target_id)


@router.delete(
    "/api/admin/users/{user_id}/tokens/{token_id}",
    summary="Revoke one of a user's access tokens",
    operation_id="admin_tokens_revoke",
)
async def revoke_token(
    user_id: IdPath,
    token_id: IdPath,
    access: Annotated[Access, Depends(authorize("admin.tokens.revoke"))],
    services: ServicesDep,
) -> Done:
    command = RevokeAccessToken(
        user_id=access.target_id, token_id=token_id, actor=access.caller.actor()
    )
    details = {"token_id": token_id}
    await audited(
        services,
        access,
        "admin.user.token.revoke",
        command,
        AccountChanged,
        target=access.target_id,
        details=details,
    )
    await settle(services, "users")
    return Done(status="revoked", message=f"token {token_id} revoked")


@router.put(
    "/api/admin/users/{user_id}/two-factor",
    summary="Require (or stop requiring) two-factor authentication of a user",
    operation_id="admin_users_require_totp",
)
async def require_totp(
    user_id: IdPath,
    change: body.TotpRequirement,
    access: Annotated[Access, Depends(authorize("admin.users.require_totp"))],
    services: ServicesDep,
) -> body.UserOut:
    """A user required to use it reaches nothing but its set-up until he has it (an admin
    needs it anyway); turning the requirement off does not turn his second factor off."""
    command = RequireTotp(
        user_id=access.target_id, required=change.required, actor=access.caller.actor()
    )
    await audited(
        services,
        access,
        "admin.user.require_totp",
        command,
        AccountChanged,
        target=access.target_id,
        details={"required": "yes" if change.required else "no"},
    )
    return await _fresh_user(services, access.target_id)
