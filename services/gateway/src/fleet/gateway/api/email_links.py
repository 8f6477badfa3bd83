"""The mailed links (``/api/auth/email/*``, ``/api/auth/password-reset*``): e-mail
verification, a new verification link, password reset by e-mail. Each used link and each
accepted request is an audit entry."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Depends

from fleet.events.audit import AuditRecorded
from fleet.events.auth_commands import (
    ConfirmPasswordReset,
    EmailConfirmed,
    PasswordResetDone,
    RequestPasswordReset,
    ResendVerification,
    ResetRequested,
    VerificationResent,
    VerifyEmail,
)
from fleet.events.ids import UserId
from fleet.gateway.adapters.audit_log import ANONYMOUS
from fleet.gateway.api.auth import stranger
from fleet.gateway.api.routing import ServicesDep, ask, audited, make_router, settle
from fleet.gateway.deps import Access, Services, authorize
from fleet.gateway.read_models.users.queries import user_row
from fleet.gateway.schemas import auth as body

router = make_router("auth")


@router.post(
    "/api/auth/email/verify",
    summary="Verify my e-mail address with the mailed link's token (signed in or not)",
    operation_id="auth_verify_email",
)
async def verify_email(
    verification: body.EmailVerification,
    access: Annotated[Access, Depends(authorize("auth.verify_email"))],
    services: ServicesDep,
) -> body.EmailVerified:
    """400 naming ``token`` when it is unknown, used, replaced by a newer link or expired."""
    command = VerifyEmail(
        token=verification.token.strip(),
        actor=stranger(access),
        correlation_id=access.request_id,
    )
    confirmed = await ask(services, command, EmailConfirmed)
    await _audit_link(services, access, "auth.email_verified", confirmed.user_id)
    await settle(services, "users")
    return body.EmailVerified(verified=True)


async def _audit_link(services: Services, access: Access, action: str, user_id: str) -> None:
    """A mailed link used: an entry of its owner (who proved he reads the mailbox), from
    this address. Refused links are not entries, like refused sign-ins: anyone could
    write one a try."""
    row = await services.db.read(user_row, UserId(user_id))
    role = str(row["role"]) if row is not None else "unknown"
    entry = AuditRecorded(
        action=action, actor_id=user_id, actor_role=role, ip=access.ip, target_user_id=user_id
    )
    await services.audit.record(entry, access.request_id)


@router.post(
    "/api/auth/email/resend",
    status_code=202,
    summary="Mail me a new verification link (the same answer whatever my address's state)",
    operation_id="auth_resend_verification",
)
async def resend_verification(
    access: Annotated[Access, Depends(authorize("auth.resend_verification"))],
    services: ServicesDep,
) -> body.VerificationResendAccepted:
    """202 whether the address is verified, waiting or absent; 429 when asked too often
    (3 at once, then one every 5 minutes)."""
    caller = access.caller
    command = ResendVerification(user_id=caller.user_id, actor=caller.actor())
    await audited(services, access, "auth.verification_resent", command, VerificationResent)
    return body.VerificationResendAccepted()


@router.post(
    "/api/auth/password-reset",
    status_code=202,
    summary="Ask for a password-reset link by e-mail (the same answer for any address)",
    operation_id="auth_password_reset",
)
async def request_password_reset(
    request_body: body.PasswordResetRequest,
    access: Annotated[Access, Depends(authorize("auth.password_reset"))],
    services: ServicesDep,
) -> body.PasswordResetAccepted:
    """202 whether or not the address is known or verified; 429 when this address (IP)
    asked too often, like sign-ins."""
    command = RequestPasswordReset(
        email=request_body.email,
        actor=stranger(access),
        correlation_id=access.request_id,
    )
    await ask(services, command, ResetRequested)
    # an anonymous entry naming no one (the answer must not say whose address it is);
    # bounded like the requests: a throttled one is no entry
    entry = AuditRecorded(
        action="auth.password_reset_requested",
        actor_id=ANONYMOUS,
        actor_role="system",
        ip=access.ip,
    )
    await services.audit.record(entry, access.request_id)
    return body.PasswordResetAccepted()


@router.post(
    "/api/auth/password-reset/confirm",
    summary="Set a new password with the mailed link's token: every session ends",
    operation_id="auth_password_reset_confirm",
)
async def confirm_password_reset(
    confirmation: body.PasswordResetConfirm,
    access: Annotated[Access, Depends(authorize("auth.password_reset_confirm"))],
    services: ServicesDep,
) -> body.PasswordResetCompleted:
    """400 naming ``token`` (unknown, used, replaced, ended by a password change, expired)
    or ``new_password`` (the password policy)."""
    command = ConfirmPasswordReset(
        token=confirmation.token.strip(),
        new_password=confirmation.new_password,
        actor=stranger(access),
        correlation_id=access.request_id,
    )
    done = await ask(services, command, PasswordResetDone)
    await asyncio.to_thread(services.sessions.end_all, UserId(done.user_id))
    await _audit_link(services, access, "auth.password_reset", done.user_id)
    return body.PasswordResetCompleted()
