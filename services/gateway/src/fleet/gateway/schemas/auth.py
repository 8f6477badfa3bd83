"""Bodies of sign-in, the caller's own account and personal access tokens."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from fleet.gateway.schemas.base import ApiModel

RoleName = Literal["admin", "trader", "viewer"]
ScopeName = Literal["read", "write", "admin"]
USERNAME = Field(min_length=1, max_length=64, examples=["alice"])
PASSWORD = Field(min_length=1, max_length=1024, examples=["correct horse battery staple"])
NEW_PASSWORD = Field(
    min_length=1,
    max_length=1024,
    description="At least 12 characters, not the username (checked by the auth service).",
    examples=["a much longer passphrase"],
)
# a 6-digit TOTP code or a recovery code xxxx-xxxx-xxxx-xxxx (anything else: 422)
TOTP_CODE_PATTERN = r"^\s*([0-9]{6}|[0-9A-Fa-f]{4}(-[0-9A-Fa-f]{4}){3})\s*$"
SECOND_FACTOR = Field(
    min_length=6,
    max_length=24,
    pattern=TOTP_CODE_PATTERN,
    description="The 6-digit code of the authenticator app, or a recovery code.",
    examples=["123456"],
)
EMAIL = Field(
    min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$", examples=["alice@example.com"]
)


class LoginRequest(ApiModel):
    """A user with two-factor authentication signs in in two steps: the password alone
    is answered 401 ``unauthenticated`` with ``details.second_factor = "totp"`` (no
    session); the same body with ``totp_code`` signs in."""

    username: str = USERNAME
    password: str = PASSWORD
    totp_code: str | None = Field(
        default=None,
        min_length=6,
        max_length=24,
        pattern=TOTP_CODE_PATTERN,
        description="Second step: the authenticator app's 6-digit code or a recovery code.",
        examples=["123456"],
    )


class LoginResponse(ApiModel):
    """Signed in: the session cookie is set (HttpOnly), and the readable ``fleet_csrf``
    cookie whose value every state-changing request sends back in ``X-CSRF-Token``."""

    user_id: str = Field(examples=["0193a5b0c1d2"])
    username: str = Field(examples=["alice"])
    role: RoleName
    must_change_password: bool = Field(examples=[False])
    csrf_token: str = Field(description="Same value as the fleet_csrf cookie.")


class Me(ApiModel):
    user_id: str = Field(examples=["0193a5b0c1d2"])
    username: str = Field(examples=["alice"])
    email: str = Field(examples=["alice@example.com"])
    role: RoleName
    must_change_password: bool = False
    authenticated_by: Literal["session", "token"]
    token_scope: ScopeName | None = None
    created_at: AwareDatetime | None = None
    totp_enabled: bool = False
    second_factor_required: bool = Field(
        default=False,
        description="An admin without two-factor authentication: enrol before anything else.",
    )
    email_verified: bool = Field(
        default=False,
        description="The address opened its verification link (only then does it get mail).",
    )


class UpdateMe(ApiModel):
    email: str = EMAIL


class ChangePassword(ApiModel):
    current_password: str = PASSWORD
    new_password: str = NEW_PASSWORD


class PasswordChanged(ApiModel):
    """Every earlier session ended; a browser caller gets a new session (and CSRF token)."""

    message: str = Field(examples=["password changed; other sessions ended"])
    csrf_token: str | None = None


class LoggedOut(ApiModel):
    sessions_ended: int = Field(ge=0, examples=[1])


class TotpEnrolmentOut(ApiModel):
    """The secret is shown here once: scan the QR code (or type the secret) into an
    authenticator app, then confirm with a code."""

    secret: str = Field(examples=["JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"])
    otpauth_uri: str = Field(examples=["otpauth://totp/Fleet:alice?secret=...&issuer=Fleet"])
    qr_data_uri: str = Field(
        description="The otpauth URI as an SVG QR code rendered by the gateway (segno), a "
        "data: URI for an <img>; no external service sees the secret."
    )


class TotpCode(ApiModel):
    code: str = SECOND_FACTOR


class TotpConfirmedOut(ApiModel):
    """Two-factor authentication is on. Keep the recovery codes: each works once."""

    recovery_codes: list[str] = Field(examples=[["0a1b-2c3d-4e5f-6789"]])


class TotpDisabledOut(ApiModel):
    status: Literal["changed", "unchanged"]


class SignInOut(ApiModel):
    """A sign-in, or a window of refused attempts at the username from one address."""

    at: AwareDatetime
    ip: str = Field(examples=["203.0.113.7"])
    outcome: Literal["success", "failure"]
    attempts: int = Field(ge=0, examples=[1])


class SessionOut(ApiModel):
    session_id: str = Field(description="SHA-256 of the session cookie (not the cookie).")
    ip: str
    device: str = Field(description="The browser's user agent at sign-in.")
    created_at: AwareDatetime
    last_seen_at: AwareDatetime
    expires_at: AwareDatetime
    current: bool = False


class AdminActionOut(ApiModel):
    at: AwareDatetime
    action: str = Field(examples=["admin.user.role"])
    actor_id: str
    outcome: str


class SecurityLogOut(ApiModel):
    """My sign-ins (newest 50), live sessions, access tokens and admins' actions on me."""

    sign_ins: list[SignInOut]
    sessions: list[SessionOut]
    tokens: list[TokenOut]
    admin_actions: list[AdminActionOut]


class TokenCreate(ApiModel):
    name: str = Field(min_length=1, max_length=64, examples=["ci deploy"])
    scope: ScopeName = Field(
        description="read: GET only; write: every non-admin endpoint; admin: also the admin "
        "API (admins only)."
    )
    expires_in_days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="Days until the token expires (the auth service's maximum, 90 by "
        "default, when omitted; a longer life is refused).",
    )


class TokenOut(ApiModel):
    token_id: str = Field(examples=["tok_0193a5b0"])
    name: str = Field(examples=["ci deploy"])
    scope: ScopeName
    created_at: AwareDatetime
    expires_at: AwareDatetime | None = None
    revoked: bool = False


class TokenCreated(ApiModel):
    """The token itself is shown here, once; only its SHA-256 is kept."""

    token_id: str = Field(examples=["tok_0193a5b0"])
    token: str = Field(examples=["flt_3q2+7w..."], description="Send as Authorization: Bearer.")
    name: str
    scope: ScopeName
    expires_at: AwareDatetime | None = None


class EmailVerification(ApiModel):
    """The token of the verification link mailed to a newly set address."""

    token: str = Field(min_length=1, max_length=200, examples=["<user id>.<43 characters>"])


class EmailVerified(ApiModel):
    """The address is verified: it receives e-mail notifications from now on."""

    verified: bool


class PasswordResetRequest(ApiModel):
    """The address to mail a reset link to (only a verified one receives it)."""

    email: str = Field(min_length=3, max_length=254, examples=["alice@example.com"])


class PasswordResetAccepted(ApiModel):
    """The one answer, whether or not the address belongs to anyone."""

    status: Literal["accepted"] = "accepted"
    message: str = "If this address is a verified one of an account, a reset link is on its way."


class PasswordResetConfirm(ApiModel):
    """The reset link's token and the new password."""

    token: str = Field(min_length=1, max_length=200, examples=["<user id>.<43 characters>"])
    new_password: str = NEW_PASSWORD


class PasswordResetCompleted(ApiModel):
    """The password is set; every session and access token of the account has ended."""

    status: Literal["reset"] = "reset"


class VerificationResendAccepted(ApiModel):
    """The one answer, whether the address is verified, pending or absent."""

    status: Literal["accepted"] = "accepted"
    message: str = "If your address is not verified yet, a new link is on its way."
