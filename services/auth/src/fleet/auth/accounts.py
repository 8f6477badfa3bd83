"""Loading and changing accounts through the log: users, username claims, the admin
roster. Every change is load -> decide -> append via ``fleet.eventstore.Repository``,
with the command's actor and correlation id on every event."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from fleet.auth.background import Background
from fleet.auth.domain.access_tokens import TokenRules
from fleet.auth.domain.admin_roster import ROSTER_ID, AdminRoster
from fleet.auth.domain.email_claim import EMAIL_TAKEN, EmailClaim
from fleet.auth.domain.identity import (
    claim_key,
    email_claim_key,
    is_valid_username,
    normalize_email,
    normalize_username,
)
from fleet.auth.domain.invoice import PeriodInvoice
from fleet.auth.domain.login_budget import VerificationBudget, resend_budget
from fleet.auth.domain.login_policy import FailureLedger, LoginPolicy
from fleet.auth.domain.password_policy import check_password
from fleet.auth.domain.plan_catalog import PlanCatalog
from fleet.auth.domain.platform_settings import PLATFORM_ID, PlatformSettings
from fleet.auth.domain.refusal_tally import RefusalTally
from fleet.auth.domain.user import User
from fleet.auth.domain.username_claim import HolderStatus, UsernameClaim
from fleet.auth.errors import Conflict, NotFound
from fleet.auth.ports import Clock, PasswordHasher, PersonalData
from fleet.events import ActorId, AggregateId, CorrelationId, InvalidAggregateId
from fleet.events.commands import Command
from fleet.events.envelope import check_token
from fleet.events.ids import UserId
from fleet.events.personal import ERASED
from fleet.eventstore import Aggregate, ConcurrencyError, Repository

AggregateT = TypeVar("AggregateT", bound=Aggregate)
ResultT = TypeVar("ResultT")


@dataclass
class AuthDeps:
    """Everything the handlers use, wired once by the composition root."""

    users: Repository[User]
    claims: Repository[UsernameClaim]
    roster: Repository[AdminRoster]
    hasher: PasswordHasher
    policy: LoginPolicy
    ledger: FailureLedger
    clock: Clock
    personal: PersonalData
    platform: Repository[PlatformSettings]  # allowed symbols, timeframes, egress addresses
    plans: Repository[PlanCatalog]  # plans, the default plan, who is on which
    emails: Repository[EmailClaim]  # who holds each e-mail address
    invoices: Repository[PeriodInvoice]  # each trader's period closes and invoice status
    symbols: tuple[str, ...] = ()
    budget: VerificationBudget = field(default_factory=VerificationBudget)
    tally: RefusalTally = field(default_factory=RefusalTally)
    token_rules: TokenRules = field(default_factory=TokenRules)
    background: Background = field(default_factory=Background)  # after the answer
    resend_budget: VerificationBudget = field(default_factory=resend_budget)  # per user


async def execute(
    repository: Repository[AggregateT],
    aggregate_id: str,
    decide: Callable[[AggregateT], ResultT],
    command: Command,
) -> ResultT:
    """Load, decide, append (re-deciding on a concurrent change); returns what the last
    decision returned. Domain refusals raised by ``decide`` propagate unchanged."""
    results: list[ResultT] = []

    def run(aggregate: AggregateT) -> None:
        results.append(decide(aggregate))

    await repository.execute(
        AggregateId(aggregate_id),
        run,
        actor=ActorId(command.actor.user_id),
        correlation_id=_correlation(command),
    )
    return results[-1]


async def load_user(deps: AuthDeps, user_id: str, field: str = "user_id") -> User:
    """The existing user ``user_id``, or :class:`NotFound` naming ``field``."""
    try:
        check_token(user_id, "user id")
    except InvalidAggregateId:
        raise NotFound("no such user", field) from None
    user = await deps.users.load(AggregateId(user_id))
    user.require(field)
    return user


async def was_deleted(deps: AuthDeps, user_id: str) -> bool:
    """Whether ``user_id`` names a user who existed and was deleted."""
    try:
        check_token(user_id, "user id")
    except InvalidAggregateId:
        return False
    user = await deps.users.load(AggregateId(user_id))
    return user.state.created and user.state.deleted


async def find_by_username(deps: AuthDeps, username: str) -> User | None:
    """The existing user holding ``username`` (any case), or ``None``."""
    normalized = normalize_username(username)
    if not is_valid_username(normalized):
        return None
    claim = await deps.claims.load(AggregateId(claim_key(normalized)))
    if claim.holder is None:
        return None
    user = await deps.users.load(AggregateId(claim.holder))
    return user if user.exists else None


async def claim_username(deps: AuthDeps, username: str, user_id: UserId, command: Command) -> None:
    """Make ``user_id`` the holder of ``username``; :class:`Conflict` when it is taken,
    also when another instance claims it at the same moment (the log refuses one)."""
    claim = await deps.claims.load(AggregateId(claim_key(normalize_username(username))))
    holder = await _holder_status(deps, claim.holder)
    claim.claim(username, user_id, deps.clock(), holder)
    try:
        await deps.claims.save(
            claim, actor=ActorId(command.actor.user_id), correlation_id=_correlation(command)
        )
    except ConcurrencyError:
        raise Conflict(f"the username {username!r} is taken") from None


async def _holder_status(deps: AuthDeps, holder: str | None) -> HolderStatus | None:
    if holder is None:
        return None
    user = await deps.users.load(AggregateId(holder))
    if not user.state.created:
        return "pending"
    return "gone" if user.state.deleted else "present"


async def release_username(deps: AuthDeps, user: User, command: Command) -> None:
    """Free the deleted ``user``'s username for a new account."""
    key = claim_key(normalize_username(user.state.username))
    await execute(deps.claims, key, lambda claim: claim.release(user.id), command)


async def claim_email(deps: AuthDeps, address: str, user_id: str, command: Command) -> None:
    """Make ``user_id`` the holder of ``address`` (any case); :class:`Conflict` when
    another account holds it, also when another instance claims it at the same moment."""
    if not address:
        return
    claim = await deps.emails.load(AggregateId(email_claim_key(address)))
    holder = await _email_holder_status(deps, claim.holder, address)
    if not claim.claim(user_id, deps.clock(), holder):
        return
    try:
        await deps.emails.save(
            claim, actor=ActorId(command.actor.user_id), correlation_id=_correlation(command)
        )
    except ConcurrencyError:
        raise Conflict(EMAIL_TAKEN) from None


async def _email_holder_status(
    deps: AuthDeps, holder: str | None, address: str
) -> HolderStatus | None:
    if holder is None:
        return None
    user = await deps.users.load(AggregateId(holder))
    if user.state.deleted:
        return "gone"
    if not user.state.created:
        return "pending"
    current = await deps.personal.reveal(user.state.email) if user.state.email else ""
    # holding another address: his change may be in progress (pending) or was abandoned
    return "present" if normalize_email(current) == normalize_email(address) else "pending"


async def release_email(deps: AuthDeps, address: str, user_id: str, command: Command) -> None:
    """Free ``address`` when ``user_id`` holds it (changed address, deleted user)."""
    if address and address != ERASED:
        key = email_claim_key(address)
        await execute(deps.emails, key, lambda claim: claim.release(user_id), command)


async def leave_roster(deps: AuthDeps, user: User, action: str, command: Command) -> None:
    """Before an active admin stops being one: :class:`Conflict` if he is the last."""
    if user.is_active_admin:
        await execute(deps.roster, ROSTER_ID, lambda roster: roster.leave(user.id, action), command)


async def join_roster(deps: AuthDeps, user_id: str, command: Command) -> None:
    """After a user became an active admin."""
    await execute(deps.roster, ROSTER_ID, lambda roster: roster.join(user_id), command)


async def platform_settings(deps: AuthDeps) -> PlatformSettings:
    """The platform's settings as the log has them now (one small aggregate)."""
    return await deps.platform.load(PLATFORM_ID)


async def active_admins(deps: AuthDeps) -> set[str]:
    """The roster's active admins."""
    return (await deps.roster.load(ROSTER_ID)).admins


def _correlation(command: Command) -> CorrelationId | None:
    return CorrelationId(command.correlation_id) if command.correlation_id else None


async def new_password_hash(deps: AuthDeps, user: User, password: str) -> str:
    """``password`` checked against the policy for ``user`` (a refusal names
    ``new_password``), hashed, and sealed with the user's personal-data key."""
    check_password(password, user.state.username, "new_password")
    (sealed,) = await deps.personal.seal(user.id, await deps.hasher.hash(password))
    return sealed
