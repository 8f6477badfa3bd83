"""Commands the auth service answers (``cmd.auth.*``). Only auth writes user events."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import Field

from fleet.events.billing import PlanLimits
from fleet.events.bounds import UserAgentText
from fleet.events.commands import Command, ReplyPayload, SparseReplyPayload
from fleet.events.users import Role


class AuthCommand(Command):
    service: ClassVar[str] = "auth"


class CreateUser(AuthCommand):
    name: ClassVar[str] = "create_user"
    username: str
    password: str
    email: str
    role: Role
    must_change_password: bool = False  # an admin chose it: the user changes it first


class Authenticate(AuthCommand):
    """Check a username and password (``actor.ip`` = the client's IP).

    Reply: :class:`Authenticated`. Failures: unauthenticated
    (same for an unknown user and a wrong password), throttled (details.retry_after_s),
    locked (details.until), forbidden (deactivated)."""

    name: ClassVar[str] = "authenticate"
    username: str
    password: str
    user_agent: UserAgentText = ""
    # the second step of a user with two-factor authentication: a 6-digit TOTP code or a
    # recovery code; without it such a user is refused unauthenticated with
    # details.second_factor = "totp" (nothing recorded, no session)
    totp_code: str = ""


class Authenticated(ReplyPayload):
    """What an accepted :class:`Authenticate` answers (``Reply[Authenticated]``)."""

    user_id: str
    username: str
    role: Role
    must_change_password: bool
    totp_enabled: bool = False


class ChangePassword(AuthCommand):
    name: ClassVar[str] = "change_password"
    user_id: str
    current_password: str
    new_password: str


class ResetPassword(AuthCommand):
    name: ClassVar[str] = "reset_password"
    user_id: str
    new_password: str
    must_change: bool = True  # the user must choose his own at the next login


class ChangeRole(AuthCommand):
    name: ClassVar[str] = "change_role"
    user_id: str
    role: Role


class SetActive(AuthCommand):
    name: ClassVar[str] = "set_active"
    user_id: str
    active: bool
    reason: str = ""


class DeleteUser(AuthCommand):
    name: ClassVar[str] = "delete_user"
    user_id: str


class UnlockUser(AuthCommand):
    name: ClassVar[str] = "unlock_user"
    user_id: str


class ChangeEmail(AuthCommand):
    name: ClassVar[str] = "change_email"
    user_id: str
    email: str


class VerifyEmail(AuthCommand):
    """The token of a verification link (``<user id>.<random>``) marks the address
    verified; single use, 24 h."""

    name: ClassVar[str] = "verify_email"
    token: str = Field(min_length=1, max_length=200)


class RequestPasswordReset(AuthCommand):
    """Mail a reset link when ``email`` is a verified address of an active user; the
    answer is the same either way (``actor.ip``: the source, rate-limited like logins)."""

    name: ClassVar[str] = "request_password_reset"
    email: str = Field(min_length=1, max_length=254)


class ConfirmPasswordReset(AuthCommand):
    """The reset link's token and the new password (every token and session ends)."""

    name: ClassVar[str] = "confirm_password_reset"
    token: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=1024)


class ChangeViewerGrant(AuthCommand):
    name: ClassVar[str] = "change_viewer_grant"
    viewer_id: str
    trader_id: str
    granted: bool


class UpdateTradingSettings(AuthCommand):
    """Partial update: only the given fields change; the whole result is validated."""

    name: ClassVar[str] = "update_trading_settings"
    user_id: str
    changes: dict[str, Any]


class CreateAccessToken(AuthCommand):
    """Reply: :class:`TokenIssued` (the token itself, shown to its owner once)."""

    name: ClassVar[str] = "create_access_token"
    user_id: str
    token_name: str
    scope: Literal["read", "write", "admin"]
    expires_in_days: int | None = None  # None: the longest the auth service allows


class RevokeAccessToken(AuthCommand):
    name: ClassVar[str] = "revoke_access_token"
    user_id: str
    token_id: str


class RevokeAllAccessTokens(AuthCommand):
    """Every live token of ``user_id`` (logout everywhere). Reply: :class:`TokensRevoked`."""

    name: ClassVar[str] = "revoke_all_access_tokens"
    user_id: str


class BootstrapAdmin(AuthCommand):
    """Create the first admin, only when no active admin exists (``fleet up``).

    ``password`` None: a one-time password is generated (must be changed at first login).
    Reply: :class:`AdminBootstrapped`."""

    name: ClassVar[str] = "bootstrap_admin"
    username: str = "admin"
    email: str = ""
    password: str | None = None


class StartTotpEnrolment(AuthCommand):
    """A new TOTP secret for ``user_id`` (pending until confirmed). Reply:
    :class:`TotpEnrolment`, the secret shown this once. Refused ``conflict`` when two-factor
    authentication is already on (disable it first)."""

    name: ClassVar[str] = "start_totp_enrolment"
    user_id: str


class ConfirmTotp(AuthCommand):
    """Switch two-factor authentication on with a code of the pending secret. Reply:
    :class:`TotpConfirmed` (the recovery codes, shown this once)."""

    name: ClassVar[str] = "confirm_totp"
    user_id: str
    code: str


class DisableTotp(AuthCommand):
    """Switch two-factor authentication off with a current code or a recovery code."""

    name: ClassVar[str] = "disable_totp"
    user_id: str
    code: str


class RequireTotp(AuthCommand):
    """An admin requires (or stops requiring) two-factor authentication of ``user_id``.
    Reply: :class:`AccountChanged`."""

    name: ClassVar[str] = "require_totp"
    user_id: str
    required: bool


class UserRegistered(ReplyPayload):
    """What an accepted :class:`CreateUser` answers."""

    user_id: str


class AccountChanged(ReplyPayload):
    """What the account changes answer (password, role, activation, e-mail, grant,
    settings, deletion, a token's revocation): whether the log changed."""

    status: Literal["changed", "unchanged"]


class UnlockAnswered(ReplyPayload):
    """What an accepted :class:`UnlockUser` answers."""

    status: Literal["unlocked", "not_locked"]


class TokenIssued(ReplyPayload):
    """What an accepted :class:`CreateAccessToken` answers."""

    token_id: str
    token: str
    expires_at: str  # ISO 8601, UTC


class TokensRevoked(ReplyPayload):
    """What an accepted :class:`RevokeAllAccessTokens` answers."""

    status: Literal["revoked"] = "revoked"
    revoked: int


class TotpEnrolment(ReplyPayload):
    """What :class:`StartTotpEnrolment` answers: the secret and its otpauth:// URI."""

    secret: str
    otpauth_uri: str


class TotpConfirmed(ReplyPayload):
    """What :class:`ConfirmTotp` answers: ten one-time recovery codes."""

    recovery_codes: list[str]


class AdminBootstrapped(SparseReplyPayload):
    """What :class:`BootstrapAdmin` answers: ``user_id`` only when it created the admin,
    ``password`` only when it generated one."""

    created: bool
    username: str
    user_id: str | None = None
    password: str | None = None


AUTH_COMMANDS: tuple[type[AuthCommand], ...] = (
    CreateUser,
    Authenticate,
    ChangePassword,
    ResetPassword,
    ChangeRole,
    SetActive,
    DeleteUser,
    UnlockUser,
    ChangeEmail,
    ChangeViewerGrant,
    UpdateTradingSettings,
    CreateAccessToken,
    RevokeAccessToken,
    RevokeAllAccessTokens,
    BootstrapAdmin,
    StartTotpEnrolment,
    ConfirmTotp,
    DisableTotp,
    RequireTotp,
)


SettingName = Literal[
    "allowed_symbols",
    "timeframes",
    "egress_addresses",
    "product_name",
    "logo_url",
    "accent_colour",
]


class ChangeSystemSettings(AuthCommand):
    """Set the platform's settings (``None``: keep the field as it is; ``reset`` names
    fields that go back to the environment default). Reply: :class:`SystemSettingsState`."""

    name: ClassVar[str] = "change_system_settings"
    allowed_symbols: tuple[str, ...] | None = None
    timeframes: tuple[str, ...] | None = None
    egress_addresses: tuple[str, ...] | None = None
    product_name: str | None = None
    logo_url: str | None = None
    accent_colour: str | None = None
    reset: tuple[SettingName, ...] = ()


class GetSystemSettings(AuthCommand):
    """Read the platform's settings and auth's defaults. Reply: :class:`SystemSettingsState`."""

    name: ClassVar[str] = "get_system_settings"


class SystemSettingsState(ReplyPayload):
    """The platform's settings as set (``None``: the environment default applies) and the
    defaults auth itself applies."""

    allowed_symbols: list[str] | None
    timeframes: list[str] | None
    egress_addresses: list[str] | None
    product_name: str | None = None
    logo_url: str | None = None
    accent_colour: str | None = None
    default_symbols: list[str]
    changed: bool


class DefinePlan(AuthCommand):
    """Define or change a plan (its traders get its new limits at once).
    Reply: :class:`PlansState`."""

    name: ClassVar[str] = "define_plan"
    plan: PlanLimits


class SetDefaultPlan(AuthCommand):
    """The plan new traders get (``None``: none). Reply: :class:`PlansState`."""

    name: ClassVar[str] = "set_default_plan"
    plan_name: str | None = None


class AssignPlan(AuthCommand):
    """Put a trader on a plan, in force at once. Reply: :class:`PlansState`."""

    name: ClassVar[str] = "assign_plan"
    user_id: str
    plan_name: str


class GetPlans(AuthCommand):
    """Every plan, the default and who is on which. Reply: :class:`PlansState`."""

    name: ClassVar[str] = "get_plans"


class PlansState(ReplyPayload):
    plans: list[PlanLimits]
    default_plan: str | None
    members: dict[str, str]  # user id -> plan name
    changed: bool


class SetFeeTerms(AuthCommand):
    """A trader's performance fee (rate a fraction, 0 = off; monthly UTC periods from
    ``starts_on``). Reply: :class:`AccountChanged`."""

    name: ClassVar[str] = "set_fee_terms"
    user_id: str
    rate: Decimal
    starts_on: date


class ResetRequested(ReplyPayload):
    """The one answer of :class:`RequestPasswordReset`, known address or not."""

    status: Literal["accepted"] = "accepted"


class PasswordResetDone(ReplyPayload):
    """The password was reset with a link: whose (the gateway ends his sessions)."""

    user_id: str


class ResendVerification(AuthCommand):
    """A new verification link for the user's own address, if it is not verified yet.
    Reply: :class:`VerificationResent`, whatever the state; ``throttled`` when asked too
    often."""

    name: ClassVar[str] = "resend_verification"
    user_id: str


class VerificationResent(ReplyPayload):
    """The one answer of :class:`ResendVerification`."""

    status: Literal["accepted"] = "accepted"


class EmailConfirmed(ReplyPayload):
    """What an accepted :class:`VerifyEmail` answers: whose address is now verified."""

    status: Literal["changed"] = "changed"
    user_id: str


class SetInvoiceStatus(AuthCommand):
    """An admin marks a trader's period invoice open, paid or waived.
    Reply: :class:`InvoiceState`."""

    name: ClassVar[str] = "set_invoice_status"
    user_id: str
    period: str
    status: Literal["open", "paid", "waived"]
    note: str = ""


class InvoiceState(ReplyPayload):
    user_id: str
    period: str
    status: Literal["open", "paid", "waived"]
    changed: bool
