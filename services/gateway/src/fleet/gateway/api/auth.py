"""Sign-in, sign-out and the caller's own account (``/api/auth/*``)."""

from __future__ import annotations

from typing import Annotated

import segno
from fastapi import Depends, Path, Request, Response

from fleet.events.audit import AuditRecorded
from fleet.events.auth_commands import (
    AccountChanged,
    Authenticate,
    Authenticated,
    ChangeEmail,
    ChangePassword,
    ConfirmTotp,
    DisableTotp,
    RevokeAllAccessTokens,
    StartTotpEnrolment,
    TokensRevoked,
    TotpConfirmed,
    TotpEnrolment,
)
from fleet.events.commands import Actor
from fleet.events.ids import UserId
from fleet.gateway.adapters.audit_log import ANONYMOUS
from fleet.gateway.api.routing import ServicesDep, ask, make_router, send, settle
from fleet.gateway.deps import CSRF_COOKIE, SESSION_COOKIE, Access, Services, authorize
from fleet.gateway.errors import check, invalid, not_found
from fleet.gateway.principal import Principal
from fleet.gateway.read_models.audit.queries import admin_actions_on, own_sign_ins
from fleet.gateway.read_models.users.queries import tokens_of, user_row
from fleet.gateway.schemas import auth as body
from fleet.gateway.sessions import NewSession

router = make_router("auth")
SessionPath = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", examples=["9f86d0..."])]


def stranger(access: Access) -> Actor:
    """Who acts before signing in (sign-in, e-mail links): nobody yet, from this address."""
    return Actor(user_id=ANONYMOUS, role="system", ip=access.ip)


def _set_cookies(response: Response, services: Services, session: NewSession) -> None:
    secure = services.settings.cookie_secure
    max_age = int(services.settings.session_ttl_hours * 3600)
    response.set_cookie(
        SESSION_COOKIE,
        session.session_id,
        max_age=max_age,
        httponly=True,
        secure=secure,
        samesite="strict",
    )
    response.set_cookie(
        CSRF_COOKIE,
        session.csrf_token,
        max_age=max_age,
        httponly=False,
        secure=secure,
        samesite="strict",
    )


def _clear_cookies(response: Response, services: Services) -> None:
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(
            name,
            secure=services.settings.cookie_secure,
            samesite="strict",
            httponly=name == SESSION_COOKIE,
        )


async def _audit_login(
    services: Services, access: Access, signed_in: Authenticated, username: str
) -> None:
    """A sign-in is an audit entry; a refused one is not (the auth service writes refusals
    once per source and window: an attacker cannot inflate the log one entry a try)."""
    entry = AuditRecorded(
        action="auth.login",
        actor_id=signed_in.user_id,
        actor_role=signed_in.role,
        ip=access.ip,
        details={"username": username[:64]},
    )
    await services.audit.record(entry, access.request_id)


@router.post(
    "/api/auth/login",
    summary="Sign in: sets the session cookie and the readable fleet_csrf cookie",
    operation_id="auth_login",
)
async def login(
    credentials: body.LoginRequest,
    request: Request,
    response: Response,
    access: Annotated[Access, Depends(authorize("auth.login"))],
    services: ServicesDep,
) -> body.LoginResponse:
    command = Authenticate(
        username=credentials.username,
        password=credentials.password,
        user_agent=request.headers.get("user-agent", "")[:256],
        totp_code=(credentials.totp_code or "").strip(),
        actor=stranger(access),
    )
    answer = await ask(services, command, Authenticated)
    await _audit_login(services, access, answer, credentials.username)
    user_id = UserId(answer.user_id)
    must_change = answer.must_change_password
    if await services.db.read(user_row, user_id) is None:
        await settle(services, "users")  # created a moment ago: sessions join the read model
    session = await services.db.call(
        lambda: services.sessions.create(
            user_id,
            ip=access.ip,
            user_agent=request.headers.get("user-agent", ""),
            must_change_password=must_change,
        )
    )
    _set_cookies(response, services, session)
    return body.LoginResponse(
        user_id=user_id,
        username=answer.username,
        role=answer.role,
        must_change_password=must_change,
        csrf_token=session.csrf_token,
    )


@router.post("/api/auth/logout", summary="End this browser session", operation_id="auth_logout")
async def logout(
    response: Response,
    access: Annotated[Access, Depends(authorize("auth.logout"))],
    services: ServicesDep,
) -> body.LoggedOut:
    session = access.caller.session_hash
    if session is not None:
        await services.db.call(services.sessions.end, session)
    _clear_cookies(response, services)
    return body.LoggedOut(sessions_ended=1 if session else 0)


@router.post(
    "/api/auth/logout-all",
    summary="End every session and revoke every access token of the caller",
    operation_id="auth_logout_all",
)
async def logout_all(
    response: Response,
    access: Annotated[Access, Depends(authorize("auth.logout_all"))],
    services: ServicesDep,
) -> body.LoggedOut:
    caller = access.caller
    await ask(
        services, RevokeAllAccessTokens(user_id=caller.user_id, actor=caller.actor()), TokensRevoked
    )
    await settle(services, "users")
    ended = await services.db.call(services.sessions.end_all, caller.user_id)
    _clear_cookies(response, services)
    return body.LoggedOut(sessions_ended=ended)


async def _me(services: Services, caller: Principal) -> body.Me:
    row = await services.db.read(user_row, caller.user_id)
    if row is None:
        raise not_found("your account no longer exists")
    return body.Me(
        user_id=caller.user_id,
        username=row["username"],
        email=row["email"],
        role=row["role"],
        must_change_password=caller.must_change_password,
        authenticated_by=caller.via,
        token_scope=caller.scope,
        created_at=row["created_at"],
        totp_enabled=bool(row["totp_enabled"]),
        second_factor_required=caller.needs_second_factor,
        email_verified=bool(row["email_verified"]),
    )


@router.get("/api/auth/me", summary="Who am I", operation_id="auth_me")
async def me(
    access: Annotated[Access, Depends(authorize("auth.me"))], services: ServicesDep
) -> body.Me:
    return await _me(services, access.caller)


@router.patch("/api/auth/me", summary="Change my email address", operation_id="auth_update_me")
async def update_me(
    change: body.UpdateMe,
    access: Annotated[Access, Depends(authorize("auth.update_me"))],
    services: ServicesDep,
) -> body.Me:
    caller = access.caller
    command = ChangeEmail(user_id=caller.user_id, email=change.email, actor=caller.actor())
    await ask(services, command, AccountChanged)
    await settle(services, "users")
    return await _me(services, caller)


@router.post(
    "/api/auth/password",
    summary="Change my password: every other session ends, this one is renewed",
    operation_id="auth_change_password",
)
async def change_password(
    change: body.ChangePassword,
    request: Request,
    response: Response,
    access: Annotated[Access, Depends(authorize("auth.change_password"))],
    services: ServicesDep,
) -> body.PasswordChanged:
    caller = access.caller
    command = ChangePassword(
        user_id=caller.user_id,
        current_password=change.current_password,
        new_password=change.new_password,
        actor=caller.actor(),
    )
    reply = await send(services, command)
    if reply.error is not None and reply.error.code == "unauthenticated":
        raise invalid("current_password", "the current password is wrong")
    check(reply, AccountChanged)
    await settle(services, "users")
    if caller.session_hash is not None:
        await services.db.call(services.sessions.end, caller.session_hash)
    if caller.via != "session":
        return body.PasswordChanged(message="password changed; every session ended")
    session = await services.db.call(
        lambda: services.sessions.create(
            caller.user_id,
            ip=access.ip,
            user_agent=request.headers.get("user-agent", ""),
            must_change_password=False,
        )
    )
    _set_cookies(response, services, session)
    return body.PasswordChanged(
        message="password changed; other sessions ended", csrf_token=session.csrf_token
    )


@router.post(
    "/api/auth/2fa/enrol",
    summary="Start two-factor authentication: a new TOTP secret and its QR code (shown once)",
    operation_id="auth_totp_enrol",
)
async def totp_enrol(
    access: Annotated[Access, Depends(authorize("auth.totp_enrol"))], services: ServicesDep
) -> body.TotpEnrolmentOut:
    caller = access.caller
    command = StartTotpEnrolment(user_id=caller.user_id, actor=caller.actor())
    enrolment = await ask(services, command, TotpEnrolment)
    qr = segno.make(enrolment.otpauth_uri, error="m")
    return body.TotpEnrolmentOut(
        secret=enrolment.secret,
        otpauth_uri=enrolment.otpauth_uri,
        qr_data_uri=qr.svg_data_uri(scale=4),
    )


@router.post(
    "/api/auth/2fa/confirm",
    summary="Switch two-factor authentication on with a code; answers the recovery codes once",
    operation_id="auth_totp_confirm",
)
async def totp_confirm(
    code: body.TotpCode,
    access: Annotated[Access, Depends(authorize("auth.totp_confirm"))],
    services: ServicesDep,
) -> body.TotpConfirmedOut:
    caller = access.caller
    command = ConfirmTotp(user_id=caller.user_id, code=code.code.strip(), actor=caller.actor())
    confirmed = await ask(services, command, TotpConfirmed)
    await settle(services, "users")  # the admin rule reads totp_enabled from the read model
    return body.TotpConfirmedOut(recovery_codes=confirmed.recovery_codes)


@router.post(
    "/api/auth/2fa/disable",
    summary="Switch two-factor authentication off with a code or a recovery code",
    operation_id="auth_totp_disable",
)
async def totp_disable(
    code: body.TotpCode,
    access: Annotated[Access, Depends(authorize("auth.totp_disable"))],
    services: ServicesDep,
) -> body.TotpDisabledOut:
    caller = access.caller
    command = DisableTotp(user_id=caller.user_id, code=code.code.strip(), actor=caller.actor())
    changed = await ask(services, command, AccountChanged)
    await settle(services, "users")
    return body.TotpDisabledOut(status=changed.status)


@router.get(
    "/api/account/security-log",
    summary="My security log: sign-ins, live sessions, access tokens, admins' actions on me",
    operation_id="account_security_log",
)
async def security_log(
    access: Annotated[Access, Depends(authorize("account.security_log"))], services: ServicesDep
) -> body.SecurityLogOut:
    caller = access.caller
    sign_ins = await services.db.read(own_sign_ins, caller.user_id, caller.username)
    rows = await services.db.call(services.sessions.of_user, caller.user_id)
    sessions = [
        body.SessionOut(
            session_id=str(row["session_sha256"]),
            ip=str(row["ip"]),
            device=str(row["user_agent"]),
            created_at=row["created_at"],
            last_seen_at=row["last_seen_at"],
            expires_at=row["expires_at"],
            current=row["session_sha256"] == caller.session_hash,
        )
        for row in rows
    ]
    return body.SecurityLogOut(
        sign_ins=[body.SignInOut(**item) for item in sign_ins],
        sessions=sessions,
        tokens=await services.db.read(tokens_of, caller.user_id),
        admin_actions=[
            body.AdminActionOut(
                at=item["occurred_at"],
                action=item["action"],
                actor_id=item["actor_id"],
                outcome=item["outcome"],
            )
            for item in await services.db.read(admin_actions_on, caller.user_id)
        ],
    )


@router.delete(
    "/api/account/sessions/{session_id}",
    summary="End one of my browser sessions (its id from the security log)",
    operation_id="account_end_session",
)
async def end_session(
    session_id: SessionPath,
    access: Annotated[Access, Depends(authorize("account.end_session"))],
    services: ServicesDep,
) -> body.LoggedOut:
    caller = access.caller
    ended = await services.db.call(services.sessions.end_own, caller.user_id, session_id)
    if not ended:
        raise not_found("no such session of yours")
    return body.LoggedOut(sessions_ended=1)
