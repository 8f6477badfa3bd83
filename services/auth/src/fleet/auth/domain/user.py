"""The user aggregate (``ev.user.<user id>``): decides by recording events, changes state
only in :meth:`User.apply`. Rules that span users (unique usernames, the last admin) live
in their own aggregates; the ones here concern one account."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from fleet.auth.domain.access_tokens import NewToken, TokenRules, check_token_request
from fleet.auth.domain.login_policy import FailureRecord, LoginPolicy
from fleet.auth.domain.trading_settings import merge_settings
from fleet.auth.errors import Conflict, Forbidden, InvalidInput, NotFound
from fleet.billing import plan_refusal
from fleet.events import AggregateId, DomainEvent, personal
from fleet.events.aggregate import Aggregate
from fleet.events.billing import FeeTermsSet, PlanAssigned, PlanLimits
from fleet.events.users import (
    USER_AGGREGATE,
    AccessTokenCreated,
    AccessTokenRevoked,
    EmailChanged,
    EmailVerificationRequested,
    EmailVerified,
    LoginFailed,
    LoginSucceeded,
    PasswordReason,
    PasswordResetRequested,
    PasswordSet,
    RecoveryCodeUsed,
    Role,
    TotpDisabled,
    TotpEnabled,
    TotpEnrolmentStarted,
    TotpRequirementChanged,
    TradingSettings,
    TradingSettingsChanged,
    UserActivated,
    UserCreated,
    UserDeactivated,
    UserDeleted,
    UserLocked,
    UserRoleChanged,
    UserUnlocked,
    ViewerGrantGiven,
    ViewerGrantRevoked,
)


@dataclass
class UserState:
    """What the log says about one account."""

    created: bool = False
    deleted: bool = False
    username: str = ""
    email: str = ""
    role: Role = "viewer"
    active: bool = True
    password_hash: str = ""
    must_change_password: bool = False
    failures: FailureRecord = field(default_factory=FailureRecord)
    grants: set[str] = field(default_factory=set)  # traders a viewer may read
    settings: TradingSettings | None = None
    tokens: set[str] = field(default_factory=set)  # ids of tokens not revoked
    totp_pending: str = ""  # sealed secret of an enrolment not yet confirmed
    totp_secret: str = ""  # sealed secret in force ("" = two-factor authentication off)
    recovery_codes: set[str] = field(default_factory=set)  # SHA-256 of unspent codes
    totp_required: bool = False  # an admin requires two-factor authentication of him
    plan: PlanLimits | None = None  # the plan's limits as last assigned (None: no plan)
    fee: FeeTermsSet | None = None  # the performance fee's terms (None: never set)
    totp_last_step: int = -1  # time step of the last TOTP code a login accepted
    email_verified: bool = False  # the current address opened its verification link
    verification: tuple[str, datetime] | None = None  # (token SHA-256, expiry) pending
    password_reset: tuple[str, datetime] | None = None  # (token SHA-256, expiry) pending

    @property
    def totp_enabled(self) -> bool:
        return bool(self.totp_secret)


class User(Aggregate):
    """One account: identity, role, password, login failures, grants, settings, tokens."""

    aggregate_type = USER_AGGREGATE

    def __init__(self, aggregate_id: AggregateId) -> None:
        super().__init__(aggregate_id)
        self.state = UserState()

    @property
    def exists(self) -> bool:
        """Created and not deleted."""
        return self.state.created and not self.state.deleted

    @property
    def is_active_admin(self) -> bool:
        """Counts for the last-admin rule."""
        return self.exists and self.state.active and self.state.role == "admin"

    def require(self, field_name: str = "user_id") -> None:
        """:class:`NotFound` (naming ``field_name``) unless the user exists."""
        if not self.exists:
            raise NotFound("no such user", field_name)

    # -- lifecycle ---------------------------------------------------------------------

    def create(
        self,
        username: str,
        email: str,
        role: Role,
        password_hash: str,
        created_by: str,
        *,
        must_change: bool = False,
    ) -> None:
        if self.state.created:
            raise Conflict("this user id is taken")
        self.record(UserCreated(username=username, email=email, role=role, created_by=created_by))
        self.set_password(password_hash, "initial", must_change=must_change)
        if role == "trader":
            self.record(TradingSettingsChanged(settings=TradingSettings()))

    def change_role(self, role: Role) -> bool:
        self.require()
        previous = self.state.role
        if role == previous:
            return False
        self.record(UserRoleChanged(role=role, previous_role=previous))
        self.revoke_all_tokens()  # a token's scope was judged against the old role
        if previous == "viewer":  # grants only mean something on a viewer
            for trader_id in sorted(self.state.grants):
                self.record(ViewerGrantRevoked(trader_id=trader_id))
        if role == "trader" and self.state.settings is None:
            self.record(TradingSettingsChanged(settings=TradingSettings()))
        return True

    def set_active(self, active: bool, reason: str = "") -> bool:
        self.require()
        if active == self.state.active:
            return False
        self.record(UserActivated() if active else UserDeactivated(reason=reason))
        if not active:
            self.revoke_all_tokens()
        return True

    def delete(self) -> None:
        self.require()
        self.record(UserDeleted())
        self.revoke_all_tokens()

    def change_email(self, email: str) -> bool:
        self.require()
        if email == self.state.email:
            return False
        self.record(EmailChanged(email=email))
        return True

    def request_verification(
        self, token_sha256: str, expires_at: datetime, sealed_token: str
    ) -> None:
        """A new verification link for the current address (replaces an older one); the
        token goes to the log only sealed, for the notify service to mail it."""
        self.require()
        if not self.state.email:
            raise InvalidInput("email", "there is no e-mail address to verify")
        _check_sealed(sealed_token)
        self.record(
            EmailVerificationRequested(
                token_sha256=token_sha256, expires_at=expires_at, sealed_token=sealed_token
            )
        )

    def verify_email(self, token_sha256: str, now: datetime) -> None:
        """The link's token: single use, before it expires, the newest one only."""
        self.require("token")
        pending = self.state.verification
        if pending is None or not hmac.compare_digest(pending[0], token_sha256):
            raise InvalidInput("token", "this link was used already or replaced by a newer one")
        if now >= pending[1]:
            raise InvalidInput("token", "this link has expired; ask for a new one")
        self.record(EmailVerified())

    def request_password_reset(
        self, token_sha256: str, expires_at: datetime, sealed_token: str
    ) -> None:
        """A new reset link (replaces an older one); the token sealed, as above."""
        self.require()
        _check_sealed(sealed_token)
        self.record(
            PasswordResetRequested(
                token_sha256=token_sha256, expires_at=expires_at, sealed_token=sealed_token
            )
        )

    def reset_password_with_link(
        self, token_sha256: str, now: datetime, password_hash: str
    ) -> None:
        """The link's token sets the password: single use, the newest link only, before it
        expires, and not after another password change."""
        self.require("token")
        pending = self.state.password_reset
        if pending is None or not hmac.compare_digest(pending[0], token_sha256):
            raise InvalidInput(
                "token",
                "this link was used already, replaced by a newer one, or ended by a "
                "password change",
            )
        if now >= pending[1]:
            raise InvalidInput("token", "this link has expired; ask for a new one")
        if not self.state.active:
            raise Forbidden("this account is deactivated")
        self.set_password(password_hash, "reset")

    # -- passwords and logins ----------------------------------------------------------

    def set_password(
        self, password_hash: str, reason: PasswordReason, *, must_change: bool = False
    ) -> None:
        self.record(
            PasswordSet(password_hash=password_hash, reason=reason, must_change=must_change)
        )
        if reason in ("changed", "reset"):  # whoever knew the old password loses its tokens
            self.revoke_all_tokens()

    def login_succeeded(self, ip: str, user_agent: str, totp_step: int | None = None) -> None:
        """A sign-in; ``totp_step``: the step of the TOTP code it used, which must be later
        than the last one accepted (else :class:`Conflict`: the code was replayed)."""
        if totp_step is not None and totp_step <= self.state.totp_last_step:
            raise Conflict("this code was used already")
        self.record(LoginSucceeded(ip=ip, user_agent=user_agent, totp_step=totp_step))

    def unlock(self, now: datetime, policy: LoginPolicy) -> bool:
        """Lift a lock and forget the failures (also ends a back-off)."""
        self.require()
        failures = self.state.failures
        if policy.locked_until(failures, now) is None and not policy.remembered(failures, now):
            return False
        self.record(UserUnlocked())
        return True

    # -- two-factor authentication -------------------------------------------------------

    def start_totp(self, sealed_secret: str) -> None:
        """A new pending secret (replaces an unconfirmed one)."""
        self.require()
        if self.state.totp_enabled:
            raise Conflict("two-factor authentication is already on; disable it first")
        self.record(TotpEnrolmentStarted(secret=sealed_secret))

    def enable_totp(self, recovery_code_sha256: list[str], totp_step: int | None = None) -> None:
        """Put the pending secret in force (the caller checked its code of ``totp_step``,
        which is then used: no sign-in or change accepts it again)."""
        self.require()
        if self.state.totp_enabled:
            raise Conflict("two-factor authentication is already on")
        if not self.state.totp_pending:
            raise Conflict("start the enrolment first")
        if totp_step is not None and totp_step <= self.state.totp_last_step:
            raise Conflict("this code was used already")
        codes = tuple(recovery_code_sha256)
        self.record(TotpEnabled(recovery_code_sha256=codes, totp_step=totp_step))

    def disable_totp(self, reason: str = "") -> bool:
        self.require()
        if not self.state.totp_enabled and not self.state.totp_pending:
            return False
        self.record(TotpDisabled(reason=reason))
        return True

    def require_totp(self, required: bool) -> bool:
        self.require()
        if required == self.state.totp_required:
            return False
        self.record(TotpRequirementChanged(required=required))
        return True

    def spend_recovery_code(self, code_sha256: str) -> bool:
        """Spend an unspent recovery code; ``False`` if it matches none."""
        if code_sha256 not in self.state.recovery_codes:
            return False
        self.record(RecoveryCodeUsed(code_sha256=code_sha256))
        return True

    # -- viewer grants, trading settings, tokens --------------------------------------

    def change_grant(self, trader_id: str, granted: bool) -> bool:
        self.require("viewer_id")
        if self.state.role != "viewer":
            raise InvalidInput("viewer_id", "grants are given to viewers; this user is not one")
        if granted == (trader_id in self.state.grants):
            return False
        self.record(
            ViewerGrantGiven(trader_id=trader_id)
            if granted
            else ViewerGrantRevoked(trader_id=trader_id)
        )
        return True

    def update_settings(
        self,
        changes: Mapping[str, Any],
        known_symbols: Collection[str],
        timeframes: Collection[str] | None = None,
    ) -> bool:
        self.require()
        if self.state.role != "trader":
            raise InvalidInput(
                "user_id", "trading settings belong to traders; this user is not one"
            )
        settings = merge_settings(self.state.settings, changes, known_symbols, timeframes)
        self._check_plan(settings, changes.keys())
        if settings == self.state.settings:
            return False
        self.record(TradingSettingsChanged(settings=settings))
        return True

    def _check_plan(self, settings: TradingSettings, changed: Collection[str]) -> None:
        """The values this change sets must be within the trader's plan. Values set before
        the plan was assigned are not refused here (the trader could change nothing else):
        the executor skips entries outside the plan until they comply."""
        if self.state.plan is None:
            return

        def given(name: str) -> bool:
            return name in changed

        refused = plan_refusal(
            self.state.plan,
            symbols=settings.symbols if given("symbols") else (),
            timeframe=settings.timeframe if given("timeframe") else None,
            max_positions=settings.max_positions if given("max_positions") else None,
            leverage=settings.leverage if given("leverage") else None,
            risk_per_trade=settings.risk_per_trade if given("risk_per_trade") else None,
        )
        if refused is not None:
            raise InvalidInput(*refused)

    def assign_plan(self, plan: PlanLimits, by: str) -> bool:
        """Put this trader on ``plan`` (its limits as they are now); in force at once."""
        self.require()
        if self.state.role != "trader":
            raise InvalidInput("user_id", "plans belong to traders; this user is not one")
        if self.state.plan == plan:
            return False
        self.record(PlanAssigned(plan=plan, assigned_by=by))
        return True

    def set_fee_terms(self, rate: Decimal, starts_on: date, by: str) -> bool:
        """The trader's performance fee (a fraction; 0 = off), monthly from ``starts_on``."""
        self.require()
        if self.state.role != "trader":
            raise InvalidInput(
                "user_id", "performance fees belong to traders; this user is not one"
            )
        try:
            terms = FeeTermsSet(rate=rate, starts_on=starts_on, set_by=by)
        except ValidationError:
            raise InvalidInput(
                "rate", "rate: a fraction from 0 (off) to below 1, 4 places at most"
            ) from None
        fee = self.state.fee
        if fee is not None and (fee.rate, fee.starts_on) == (rate, starts_on):
            return False
        self.record(terms)
        return True

    def create_token(self, token: NewToken, rules: TokenRules, now: datetime) -> datetime:
        """Record a new token (its hash only); returns when it expires."""
        self.require()
        if self.state.must_change_password:
            raise Forbidden("change your password before creating tokens")
        if len(self.state.tokens) >= rules.max_per_user:
            raise Conflict(f"at most {rules.max_per_user} tokens per user; revoke one first")
        label = check_token_request(self.state.role, token.scope, token.name, token.days, rules)
        expires_at = now + timedelta(days=token.days)
        self.record(
            AccessTokenCreated(
                token_id=token.token_id,
                name=label,
                scope=token.scope,
                token_sha256=token.sha256,
                expires_at=expires_at,
            )
        )
        return expires_at

    def revoke_token(self, token_id: str) -> None:
        self.require()
        if token_id not in self.state.tokens:
            raise NotFound("no such token", "token_id")
        self.record(AccessTokenRevoked(token_id=token_id))

    def revoke_all_tokens(self) -> int:
        """Revoke every live token (password change or reset, role change, deactivation,
        deletion, logout everywhere); returns how many."""
        live = sorted(self.state.tokens)
        for token_id in live:
            self.record(AccessTokenRevoked(token_id=token_id))
        return len(live)

    # -- state -------------------------------------------------------------------------

    def apply(self, event: DomainEvent) -> None:
        applier = _APPLIERS.get(type(event))
        if applier is not None:
            applier(self.state, event)


def _check_sealed(token: str) -> None:
    if not personal.is_sealed(token) and token != personal.ERASED:
        raise ValueError("a link's token enters the log sealed only")


def _created(state: UserState, event: UserCreated) -> None:
    state.created, state.username, state.email = True, event.username, event.email
    state.role = event.role


def _role_changed(state: UserState, event: UserRoleChanged) -> None:
    state.role = event.role


def _activated(state: UserState, _event: UserActivated) -> None:
    state.active = True


def _deactivated(state: UserState, _event: UserDeactivated) -> None:
    state.active = False


def _deleted(state: UserState, _event: UserDeleted) -> None:
    state.deleted = True


def _password_set(state: UserState, event: PasswordSet) -> None:
    state.password_hash, state.must_change_password = event.password_hash, event.must_change
    if event.reason != "rehashed":  # a new password ends any reset link
        state.password_reset = None


def _reset_requested(state: UserState, event: PasswordResetRequested) -> None:
    state.password_reset = (event.token_sha256, event.expires_at)


def _login_failed(state: UserState, event: LoginFailed) -> None:
    locked = state.failures.locked_until
    state.failures = FailureRecord(event.consecutive_failures, event.failed_at, locked)


def _locked(state: UserState, event: UserLocked) -> None:
    last = state.failures.last_failure_at
    state.failures = FailureRecord(event.consecutive_failures, last, event.until)


def _failures_cleared(state: UserState, _event: LoginSucceeded | UserUnlocked) -> None:
    state.failures = FailureRecord()


def _logged_in(state: UserState, event: LoginSucceeded) -> None:
    state.failures = FailureRecord()
    if event.totp_step is not None:
        state.totp_last_step = max(state.totp_last_step, event.totp_step)


def _email_changed(state: UserState, event: EmailChanged) -> None:
    state.email, state.email_verified, state.verification = event.email, False, None


def _verification_requested(state: UserState, event: EmailVerificationRequested) -> None:
    state.verification = (event.token_sha256, event.expires_at)


def _email_verified(state: UserState, _event: EmailVerified) -> None:
    state.email_verified, state.verification = True, None


def _grant_given(state: UserState, event: ViewerGrantGiven) -> None:
    state.grants.add(event.trader_id)


def _grant_revoked(state: UserState, event: ViewerGrantRevoked) -> None:
    state.grants.discard(event.trader_id)


def _settings_changed(state: UserState, event: TradingSettingsChanged) -> None:
    state.settings = event.settings


def _plan_assigned(state: UserState, event: PlanAssigned) -> None:
    state.plan = event.plan


def _fee_set(state: UserState, event: FeeTermsSet) -> None:
    state.fee = event


def _token_created(state: UserState, event: AccessTokenCreated) -> None:
    state.tokens.add(event.token_id)


def _token_revoked(state: UserState, event: AccessTokenRevoked) -> None:
    state.tokens.discard(event.token_id)


def _totp_started(state: UserState, event: TotpEnrolmentStarted) -> None:
    state.totp_pending = event.secret


def _totp_enabled(state: UserState, event: TotpEnabled) -> None:
    state.totp_secret, state.totp_pending = state.totp_pending, ""
    # a new secret: only the confirming code was used (events before it: none)
    state.totp_last_step = event.totp_step if event.totp_step is not None else -1
    state.recovery_codes = set(event.recovery_code_sha256)


def _totp_disabled(state: UserState, _event: TotpDisabled) -> None:
    state.totp_secret = state.totp_pending = ""
    state.recovery_codes = set()


def _recovery_used(state: UserState, event: RecoveryCodeUsed) -> None:
    state.recovery_codes.discard(event.code_sha256)


def _totp_required(state: UserState, event: TotpRequirementChanged) -> None:
    state.totp_required = event.required


# One function per event type: replaying the log and deciding share them.
_APPLIERS: dict[type[DomainEvent], Callable[[UserState, Any], None]] = {
    UserCreated: _created,
    UserRoleChanged: _role_changed,
    UserActivated: _activated,
    UserDeactivated: _deactivated,
    UserDeleted: _deleted,
    PasswordSet: _password_set,
    LoginFailed: _login_failed,
    UserLocked: _locked,
    LoginSucceeded: _logged_in,
    UserUnlocked: _failures_cleared,
    EmailChanged: _email_changed,
    EmailVerificationRequested: _verification_requested,
    EmailVerified: _email_verified,
    PasswordResetRequested: _reset_requested,
    ViewerGrantGiven: _grant_given,
    ViewerGrantRevoked: _grant_revoked,
    TradingSettingsChanged: _settings_changed,
    AccessTokenCreated: _token_created,
    AccessTokenRevoked: _token_revoked,
    TotpEnrolmentStarted: _totp_started,
    TotpEnabled: _totp_enabled,
    TotpDisabled: _totp_disabled,
    RecoveryCodeUsed: _recovery_used,
    TotpRequirementChanged: _totp_required,
    PlanAssigned: _plan_assigned,
    FeeTermsSet: _fee_set,
}
