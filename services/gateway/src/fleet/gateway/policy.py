"""Authorization, decided here and only here: one table from action to rule, one pure
function that applies a rule to a caller and the facts about the target.

Handlers never check roles themselves; every route names its action (``authorize`` in
``deps.py``) and the app refuses to start if a route has none. Denials: no caller -> 401;
the wrong role or token scope -> 403 (a forbidden action); a resource of someone else the
caller may not read -> 404, the same answer as a resource that does not exist (no
existence leak).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fleet.events.ids import Scope, UserId
from fleet.events.users import Role
from fleet.gateway.principal import Principal

ADMIN: frozenset[Role] = frozenset({"admin"})
TRADER: frozenset[Role] = frozenset({"trader"})
VIEWER: frozenset[Role] = frozenset({"viewer"})
ANYONE: frozenset[Role] = frozenset({"admin", "trader", "viewer"})
PUBLIC: frozenset[Role] = frozenset()
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Target(StrEnum):
    """What the path names, and what must hold of it for the caller."""

    NONE = "none"
    OWN_TOKEN = "own_token"  # noqa: S105 - {token_id} is one of the caller's tokens
    OWN_TRADING_SESSION = "own_trading_session"  # {session_id} is one of the caller's
    ANY_USER = "any_user"  # {user_id} exists
    OTHER_USER = "other_user"  # {user_id} exists and is not the caller
    TRADER = "trader"  # {user_id} exists and is a trader (only traders have bots)
    GRANTED_TRADER = "granted_trader"  # {trader_id} was granted to the calling viewer


@dataclass(frozen=True)
class Rule:
    """Who may take an action: roles (empty = public), the target, admin API or not."""

    roles: frozenset[Role]
    target: Target = Target.NONE
    admin_api: bool = False
    before_password_change: bool = False  # allowed while a new password is required
    before_second_factor: bool = False  # allowed to an admin who must still enrol in 2FA


@dataclass(frozen=True)
class TargetFacts:
    """What the gateway's read models say about the target (``found`` = it exists and,
    for owned or granted targets, belongs or was granted to the caller)."""

    found: bool
    user_id: UserId | None = None
    role: Role | None = None


NO_TARGET = TargetFacts(found=True)


@dataclass(frozen=True)
class Decision:
    """Allowed, or refused with an HTTP status, an error code and a reason."""

    allowed: bool
    status: int = 200
    code: str = ""
    message: str = ""


ALLOW = Decision(allowed=True)


def _admin(target: Target = Target.NONE) -> Rule:
    return Rule(ADMIN, target, admin_api=True)


_SELF = Rule(ANYONE, before_password_change=True, before_second_factor=True)
_ENROL = Rule(ANYONE, before_second_factor=True)
ENROL_FIRST = "enrol in two-factor authentication first"

POLICY: dict[str, Rule] = {
    "ops.health": Rule(PUBLIC, before_password_change=True, before_second_factor=True),
    # sign-in and the caller's own account
    "auth.login": Rule(PUBLIC, before_password_change=True, before_second_factor=True),
    "auth.verify_email": Rule(PUBLIC, before_password_change=True, before_second_factor=True),
    "auth.password_reset": Rule(PUBLIC, before_password_change=True, before_second_factor=True),
    "auth.password_reset_confirm": Rule(
        PUBLIC, before_password_change=True, before_second_factor=True
    ),
    "auth.logout": _SELF,
    "auth.logout_all": _SELF,
    "auth.me": _SELF,
    "auth.change_password": _SELF,
    "auth.update_me": Rule(ANYONE, before_second_factor=True),
    "auth.resend_verification": Rule(ANYONE, before_second_factor=True),
    "tokens.list": Rule(ANYONE),
    "tokens.create": Rule(ANYONE),
    "tokens.revoke": Rule(ANYONE, Target.OWN_TOKEN),
    # a trader's own account, bot and trading (admins and viewers trade nothing)
    "account.status": Rule(TRADER),
    "settings.read": Rule(TRADER),
    "settings.update": Rule(TRADER),
    "bingx.connect": Rule(TRADER),
    "bingx.disconnect": Rule(TRADER),
    "bingx.test": Rule(TRADER),
    "bingx.history_import": Rule(TRADER),
    "bingx.history_status": Rule(TRADER),
    "bot.start": Rule(TRADER),
    "bot.stop": Rule(TRADER),
    "bot.pause": Rule(TRADER),
    "bot.resume": Rule(TRADER),
    "trading.positions": Rule(TRADER),
    "trading.orders": Rule(TRADER),
    "trading.trades": Rule(TRADER),
    "trading.income": Rule(TRADER),
    "trading.sessions": Rule(TRADER),
    "trading.session": Rule(TRADER, Target.OWN_TRADING_SESSION),
    "trading.stats": Rule(TRADER),
    "trading.decisions": Rule(TRADER),
    "trading.close": Rule(TRADER),
    "trading.flatten": Rule(TRADER),
    "trading.export": Rule(TRADER),
    # the admin API: everyone's accounts, never an own trading account
    "admin.users.list": _admin(),
    "admin.users.create": _admin(),
    "admin.users.read": _admin(Target.ANY_USER),
    "admin.users.update": _admin(Target.ANY_USER),
    "admin.users.delete": _admin(Target.OTHER_USER),
    "admin.users.role": _admin(Target.OTHER_USER),
    "admin.users.active": _admin(Target.OTHER_USER),
    "admin.users.unlock": _admin(Target.ANY_USER),
    "admin.users.reset_password": _admin(Target.OTHER_USER),
    "admin.users.require_totp": _admin(Target.ANY_USER),
    "admin.tokens.list": _admin(Target.ANY_USER),
    "admin.tokens.revoke": _admin(Target.ANY_USER),
    "admin.grants.list": _admin(Target.ANY_USER),
    "admin.grants.give": _admin(Target.ANY_USER),
    "admin.grants.revoke": _admin(Target.ANY_USER),
    "admin.dashboard": _admin(Target.TRADER),
    "admin.bot.start": _admin(Target.TRADER),
    "admin.bot.stop": _admin(Target.TRADER),
    "admin.bot.pause": _admin(Target.TRADER),
    "admin.bot.resume": _admin(Target.TRADER),
    "admin.flatten": _admin(Target.TRADER),
    "admin.kill_switch": _admin(),
    "admin.flatten_all": _admin(),
    "admin.overview": _admin(),
    "admin.audit": _admin(),
    "admin.history": _admin(Target.TRADER),
    "admin.export": _admin(Target.TRADER),
    "admin.audit.export": _admin(),
    "admin.bots.start": _admin(),  # a selection of traders: each one checked in the handler
    "admin.bots.pause": _admin(),
    "admin.bots.stop": _admin(),
    "admin.system": _admin(),
    "admin.settings.read": _admin(),
    "admin.settings.update": _admin(),
    "admin.plans.read": _admin(),
    "admin.plans.update": _admin(),
    "admin.plans.assign": _admin(Target.TRADER),
    "admin.billing.read": _admin(),
    "admin.billing.invoices": _admin(Target.TRADER),
    "billing.statements": Rule(TRADER),
    # viewers: read-only access to the traders an admin granted them
    "viewer.traders": Rule(VIEWER),
    "viewer.dashboard": Rule(VIEWER, Target.GRANTED_TRADER),
    "viewer.export": Rule(VIEWER, Target.GRANTED_TRADER),
    "viewer.decisions": Rule(VIEWER, Target.GRANTED_TRADER),
    # notifications: everyone his own (the queries filter by the caller; no path id)
    "notifications.list": Rule(ANYONE),
    "notifications.read": Rule(ANYONE),
    "notifications.preferences.read": Rule(ANYONE),
    "notifications.preferences.update": Rule(ANYONE),
    "admin.notifications.failures": _admin(),
    "dev.mails": _admin(),
    # live updates (GET /api/ws): whose frames a socket gets is the hub's audience rule
    "live.subscribe": Rule(ANYONE),
    # charts: equity history as the dashboards above; market data is anyone's to read
    "trading.equity": Rule(TRADER),
    "admin.equity": _admin(Target.TRADER),
    "viewer.equity": Rule(VIEWER, Target.GRANTED_TRADER),
    "market.candles": Rule(ANYONE),
    # two-factor authentication of the caller's own account
    "auth.totp_enrol": _ENROL,
    "auth.totp_confirm": _ENROL,
    "auth.totp_disable": Rule(ANYONE),
    # the caller's own security log: sign-ins, sessions, tokens, admins' actions on him
    "account.security_log": Rule(ANYONE),
    "account.end_session": Rule(ANYONE),
}

# Which token scopes an owner of each role may create (admin scope: admins only).
TOKEN_SCOPES: dict[Role, frozenset[Scope]] = {
    "admin": frozenset({"read", "write", "admin"}),
    "trader": frozenset({"read", "write"}),
    "viewer": frozenset({"read"}),
}


def rule_for(action: str) -> Rule:
    """The rule of ``action``; an action without a rule is a programming error."""
    try:
        return POLICY[action]
    except KeyError:
        raise LookupError(f"no policy rule for action {action!r}") from None


def decide(
    action: str, principal: Principal | None, method: str, facts: TargetFacts = NO_TARGET
) -> Decision:
    """Whether ``principal`` may take ``action`` with ``method`` on the described target."""
    decision = check_caller(action, principal, method)
    if not decision.allowed or principal is None:
        return decision
    return check_target(action, principal, facts)


def check_caller(action: str, principal: Principal | None, method: str) -> Decision:
    """The part of the decision that needs no facts about the target."""
    rule = rule_for(action)
    if not rule.roles:
        return ALLOW
    if principal is None:
        return Decision(False, 401, "unauthenticated", "sign in first")
    return _caller_refusal(rule, principal, method) or ALLOW


def check_target(action: str, principal: Principal, facts: TargetFacts) -> Decision:
    """The part of the decision about the target, once the caller passed."""
    return _target_decision(rule_for(action), principal, facts)


def _caller_refusal(  # noqa: PLR0911 - one return per refusal
    rule: Rule, principal: Principal, method: str
) -> Decision | None:
    if principal.role not in rule.roles:
        return _forbidden(f"not allowed for the {principal.role} role")
    if principal.must_change_password and not rule.before_password_change:
        return _forbidden("change your password first")
    if principal.needs_second_factor and not rule.before_second_factor:
        return _forbidden(ENROL_FIRST)
    if principal.scope is None:
        return None
    if rule.admin_api and principal.scope != "admin":
        return _forbidden("the admin API needs a token with the admin scope")
    if principal.scope == "read" and method.upper() not in READ_METHODS:
        return _forbidden("this token has the read scope only")
    return None


def _target_decision(rule: Rule, principal: Principal, facts: TargetFacts) -> Decision:
    if rule.target is Target.NONE:
        return ALLOW
    if not facts.found:
        return Decision(False, 404, "not_found", "not found")
    if rule.target is Target.OTHER_USER and facts.user_id == principal.user_id:
        return _forbidden("an admin cannot do this to his own account")
    if rule.target is Target.TRADER and facts.role != "trader":
        return _forbidden(f"this user is a {facts.role}: only traders have a trading account")
    return ALLOW


def may_create_token(role: Role, scope: Scope) -> Decision:
    """Admin-scope tokens only for admins, write scope not for viewers."""
    if scope in TOKEN_SCOPES[role]:
        return ALLOW
    return _forbidden(f"a {role} cannot create a token with the {scope} scope")


def _forbidden(message: str) -> Decision:
    return Decision(False, 403, "forbidden", message)
