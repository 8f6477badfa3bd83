"""Events of the user aggregate (``ev.user.<user id>``), owned by the auth service.

A password hash (argon2id) is part of the user's state and so of its events: it is not
the password, and no plaintext password, token or BingX secret ever enters the log.
Personal data (e-mail, IP addresses, user agents) and the password hash are written
sealed with the user's data key (``fleet.events.personal``): deleting the user destroys
the key, and they read as ``erased`` for ever.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from fleet.events.bounds import (
    HashText,
    IdText,
    NameText,
    ReasonText,
    SymbolText,
)
from fleet.events.personal import (
    PersonalEmail,
    PersonalHash,
    PersonalIp,
    PersonalToken,
    PersonalUserAgent,
)
from fleet.events.registry import DomainEvent
from fleet.events.timeframes import DEFAULT_TIMEFRAME, Timeframe

USER_AGGREGATE = "user"
USERNAME_AGGREGATE = "username"  # one per normalized username: who holds it
EMAIL_AGGREGATE = "email"  # one per SHA-256 of a normalized e-mail address: who holds it
ADMIN_ROSTER_AGGREGATE = "admin_roster"  # one instance, ADMIN_ROSTER_ID: the active admins
ADMIN_ROSTER_ID = "roster"

Role = Literal["admin", "trader", "viewer"]
PositionMode = Literal["hedge", "one_way"]
PasswordReason = Literal["initial", "changed", "reset", "rehashed"]


def _symbol(value: str) -> str:
    base, _, quote = value.partition("-")
    if not (base.isascii() and base.isalnum()) or quote != "USDT" or value != value.upper():
        raise ValueError("not a USDT-M perpetual symbol like BTC-USDT")  # never the value
    return value


Symbol = Annotated[SymbolText, AfterValidator(_symbol)]


def _percent(default: str, low: str, high: str) -> Any:
    """A settings percentage: within [low, high], at most the 2 places the UI offers."""
    return Field(
        default=Decimal(default),
        ge=Decimal(low),
        le=Decimal(high),
        max_digits=5,
        decimal_places=2,
        allow_inf_nan=False,
    )


class TradingSettings(BaseModel):
    """A trader's own settings; the executor applies them to every shared signal.

    Percentages are in percent (``2.0`` means 2 %). Ranges are the product's limits.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    trading_enabled: bool = False
    max_positions: int = Field(default=2, ge=1, le=50)
    risk_per_trade: Decimal = _percent("2.0", "0.1", "10")
    daily_loss_limit: Decimal = _percent("5.0", "0.5", "50")
    max_drawdown: Decimal = _percent("15.0", "1", "90")
    leverage: int = Field(default=5, ge=1, le=125)
    position_mode: PositionMode = "hedge"
    symbols: tuple[Symbol, ...] = Field(default=("BTC-USDT",), min_length=1, max_length=50)
    timeframe: Timeframe = DEFAULT_TIMEFRAME
    adx_threshold: Decimal = _percent("25", "5", "60")
    min_confidence: Decimal = _percent("60", "0", "100")
    flatten_on_stop: bool = False


class UserCreated(DomainEvent):
    event_type = "user.created"
    username: NameText
    email: PersonalEmail
    role: Role
    created_by: IdText | None = None


class UserRoleChanged(DomainEvent):
    event_type = "user.role_changed"
    role: Role
    previous_role: Role


class UserActivated(DomainEvent):
    event_type = "user.activated"


class UserDeactivated(DomainEvent):
    event_type = "user.deactivated"
    reason: ReasonText = ""


class UserDeleted(DomainEvent):
    event_type = "user.deleted"


class PasswordSet(DomainEvent):
    event_type = "user.password_set"
    password_hash: PersonalHash
    reason: PasswordReason
    must_change: bool = False  # a generated or admin-reset password: change at next login


class LoginSucceeded(DomainEvent):
    """``totp_step``: the 30-second time step of the TOTP code this login used (none for a
    password-only or recovery-code login); a code of that step or an older one is refused
    from then on (replay protection)."""

    event_type = "user.login_succeeded"
    ip: PersonalIp
    user_agent: PersonalUserAgent = ""
    totp_step: int | None = Field(default=None, ge=0)


class LoginFailed(DomainEvent):
    event_type = "user.login_failed"
    ip: PersonalIp
    consecutive_failures: int
    throttled: bool = False  # refused by back-off, the password was not even checked
    failed_at: datetime | None = None  # when (the back-off is computed from it)


class UserLocked(DomainEvent):
    event_type = "user.locked"
    until: datetime
    consecutive_failures: int
    ip: PersonalIp = ""  # the client IP of the failure that locked the account


class UserUnlocked(DomainEvent):
    event_type = "user.unlocked"


class EmailChanged(DomainEvent):
    event_type = "user.email_changed"
    email: PersonalEmail


class EmailVerificationRequested(DomainEvent):
    """A verification link was made for the user's current address: only the SHA-256 of
    its single-use token is kept (a newer one replaces it; it ends at ``expires_at``)."""

    event_type = "user.email_verification_requested"
    token_sha256: HashText
    expires_at: datetime
    # the token itself sealed with the user's data key, for the notify service to mail it
    # (empty in events from before account mails were events: nothing to mail)
    sealed_token: PersonalToken = ""


class EmailVerified(DomainEvent):
    """The user opened the link: his current address receives every e-mail from now on
    (until it changes)."""

    event_type = "user.email_verified"


class PasswordResetRequested(DomainEvent):
    """A password-reset link was mailed to the user's verified address: only the SHA-256
    of its single-use token is kept. A newer one replaces it; a use or any password
    change ends it; it ends at ``expires_at`` (30 min)."""

    event_type = "user.password_reset_requested"
    token_sha256: HashText
    expires_at: datetime
    sealed_token: PersonalToken = ""  # as in EmailVerificationRequested


class ViewerGrantGiven(DomainEvent):
    """On the viewer's aggregate: this viewer may read ``trader_id``."""

    event_type = "user.viewer_grant_given"
    trader_id: IdText


class ViewerGrantRevoked(DomainEvent):
    event_type = "user.viewer_grant_revoked"
    trader_id: IdText


class TradingSettingsChanged(DomainEvent):
    event_type = "user.trading_settings_changed"
    schema_version = 2  # 2: percentages at most 2 places (v1 upcast by rounding)
    settings: TradingSettings


class AccessTokenCreated(DomainEvent):
    """A personal access token; only its SHA-256 is stored, never the token."""

    event_type = "user.access_token_created"
    token_id: IdText
    name: NameText
    scope: Literal["read", "write", "admin"]
    token_sha256: HashText
    expires_at: datetime | None = None


class AccessTokenRevoked(DomainEvent):
    event_type = "user.access_token_revoked"
    token_id: IdText


class TotpEnrolmentStarted(DomainEvent):
    """A TOTP secret was made for the user (sealed with his key); not in force until
    :class:`TotpEnabled`. A newer enrolment replaces an unconfirmed one."""

    event_type = "user.totp_enrolment_started"
    secret: PersonalHash


class TotpEnabled(DomainEvent):
    """The user confirmed the pending secret with a code: logins now ask for a code.
    ``recovery_code_sha256``: the SHA-256 of each one-time recovery code, never a code."""

    event_type = "user.totp_enabled"
    recovery_code_sha256: tuple[HashText, ...] = Field(default=(), max_length=20)
    totp_step: int | None = None  # the time step of the confirming code (used: not again)


class TotpDisabled(DomainEvent):
    """Two-factor authentication was switched off (secret and recovery codes forgotten)."""

    event_type = "user.totp_disabled"
    reason: ReasonText = ""


class RecoveryCodeUsed(DomainEvent):
    """One recovery code was spent (it matches nothing from now on)."""

    event_type = "user.recovery_code_used"
    code_sha256: HashText


class TotpRequirementChanged(DomainEvent):
    """An admin requires (or no longer requires) two-factor authentication of this user
    (admins need it anyway while the gateway's rule for admins is on)."""

    event_type = "user.totp_requirement_changed"
    required: bool


class UsernameClaimed(DomainEvent):
    """On ``ev.username.<normalized name as hex>``: ``user_id`` holds this username.

    Appended with the claim's expected version, so two creators of one name cannot both
    win (the log's optimistic concurrency is the lock)."""

    event_type = "username.claimed"
    username: NameText
    user_id: IdText
    claimed_at: datetime | None = None  # a claim whose user never appeared expires


class UsernameReleased(DomainEvent):
    """The holder was deleted: the username may be claimed again."""

    event_type = "username.released"
    user_id: IdText


class EmailClaimed(DomainEvent):
    """On ``ev.email.<SHA-256 of the trimmed, lowercase address>``: ``user_id`` holds this
    e-mail address (the address itself is only in the user's sealed events).

    Appended with the claim's expected version, like :class:`UsernameClaimed`."""

    event_type = "email.claimed"
    user_id: IdText
    claimed_at: datetime | None = None  # a claim whose holder never took it expires


class EmailReleased(DomainEvent):
    """The holder changed his address or was deleted: the address may be claimed again."""

    event_type = "email.released"
    user_id: IdText


class AdminRosterJoined(DomainEvent):
    """On ``ev.admin_roster.roster``: ``user_id`` became an active admin.

    The roster is the auth service's guard for "the last active admin cannot be removed":
    every removal appends to it with its expected version, so concurrent removals on
    several auth instances are serialized by the log."""

    event_type = "admin_roster.joined"
    user_id: IdText


class AdminRosterLeft(DomainEvent):
    event_type = "admin_roster.left"
    user_id: IdText


USER_EVENTS: tuple[type[DomainEvent], ...] = (
    UserCreated,
    UserRoleChanged,
    UserActivated,
    UserDeactivated,
    UserDeleted,
    PasswordSet,
    LoginSucceeded,
    LoginFailed,
    UserLocked,
    UserUnlocked,
    EmailChanged,
    ViewerGrantGiven,
    ViewerGrantRevoked,
    TradingSettingsChanged,
    AccessTokenCreated,
    AccessTokenRevoked,
    TotpEnrolmentStarted,
    TotpEnabled,
    TotpDisabled,
    RecoveryCodeUsed,
    TotpRequirementChanged,
    UsernameClaimed,
    UsernameReleased,
    AdminRosterJoined,
    AdminRosterLeft,
    EmailClaimed,
    EmailReleased,
    EmailVerificationRequested,
    EmailVerified,
    PasswordResetRequested,
)
