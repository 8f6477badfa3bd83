"""Request dependencies: the services, the caller (session cookie or bearer token), CSRF,
and ``authorize(action)``, which asks the policy and gathers the facts it needs.

Every route depends on ``authorize`` with its action; ``check_every_route_authorized``
refuses to build an app where one does not.
"""

from __future__ import annotations

import hmac
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from nats.aio.client import Client
from sqlalchemy import Connection, RowMapping

from fleet.events.audit import AuditRecorded
from fleet.events.ids import TOKEN_PREFIX, UserId
from fleet.eventstore import StreamSpec
from fleet.gateway import policy
from fleet.gateway.adapters.audit_log import AuditLog
from fleet.gateway.adapters.commands import CommandBus
from fleet.gateway.adapters.database import Database
from fleet.gateway.adapters.wrapping_keys import WrappingKeys
from fleet.gateway.client_address import client_address
from fleet.gateway.errors import GatewayError
from fleet.gateway.health import CachedHealth
from fleet.gateway.principal import Principal
from fleet.gateway.read_models.runners import ReadModels
from fleet.gateway.read_models.trading.queries import owns_session
from fleet.gateway.read_models.users.queries import (
    is_granted,
    owns_live_token,
    token_owner,
    user_row,
)
from fleet.gateway.schemas.base import ID_PATTERN
from fleet.gateway.sessions import SessionStore, sha256
from fleet.gateway.settings import GatewaySettings
from fleet.gateway.write_limits import WriteLimiter

SESSION_COOKIE = "fleet_session"
CSRF_COOKIE = "fleet_csrf"
CSRF_HEADER = "X-CSRF-Token"
ACTION_ATTRIBUTE = "__fleet_action__"
_ID = re.compile(ID_PATTERN)


@dataclass
class Services:
    """What the routes use, built once by the composition root."""

    settings: GatewaySettings
    db: Database
    sessions: SessionStore
    commands: CommandBus
    audit: AuditLog
    read_models: ReadModels
    nc: Client
    stream: StreamSpec
    health: CachedHealth
    writes: WriteLimiter
    wrapping_keys: WrappingKeys


@dataclass(frozen=True)
class Access:
    """An authorized request: who (``principal``, ``None`` on public routes), the target
    user's read-model row when the route names one, where from, and a request id."""

    principal: Principal | None
    ip: str
    request_id: str
    target: RowMapping | None = None

    @property
    def caller(self) -> Principal:
        """The principal of an authenticated route."""
        assert self.principal is not None, "public routes have no caller"
        return self.principal

    @property
    def target_id(self) -> UserId:
        """The target user's id of a route that names one."""
        assert self.target is not None, "this route names no user"
        return UserId(self.target["user_id"])


def app_services(request: Request) -> Services:
    """The app's services."""
    services: Services = request.app.state.services
    return services


def client_ip(request: Request, settings: GatewaySettings) -> str:
    """The client's address (``X-Forwarded-For`` believed only from trusted proxies)."""
    peer = request.client.host if request.client else ""
    forwarded = request.headers.get("x-forwarded-for")
    return client_address(peer, forwarded, settings.trusted_proxies)


async def current_principal(request: Request, services: Services, ip: str) -> Principal | None:
    """The caller from a bearer token, else from the session cookie, else ``None``.

    A bearer token that is not valid is refused (401) rather than treated as anonymous.
    A cookie-authenticated state-changing request must carry the CSRF token (403).
    """
    header = request.headers.get("authorization", "")
    if header:
        return await _token_principal(header, services, ip)
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    user = await services.db.call(services.sessions.resolve, session_id)
    if user is None:
        return None
    if request.method.upper() not in policy.READ_METHODS:
        _check_csrf(request, user.csrf_sha256)
    return Principal(
        user_id=user.user_id,
        username=user.username,
        role=user.role,
        ip=ip,
        via="session",
        session_hash=user.session_hash,
        must_change_password=user.must_change_password,
        needs_second_factor=_needs_second_factor(
            services, user.role, enabled=user.totp_enabled, required=user.totp_required
        ),
    )


def _needs_second_factor(services: Services, role: str, *, enabled: bool, required: bool) -> bool:
    """Two-factor authentication is due: an admin (``FLEET_ADMIN_2FA_REQUIRED``) or a user
    an admin required it of, who has not enrolled yet."""
    admin = services.settings.admin_2fa_required and role == "admin"
    return (admin or required) and not enabled


async def _token_principal(header: str, services: Services, ip: str) -> Principal:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.startswith(TOKEN_PREFIX):
        raise GatewayError(401, "unauthenticated", "expected Authorization: Bearer flt_...")
    owner = await services.db.read(token_owner, sha256(token.strip()))
    if owner is None:
        raise GatewayError(401, "unauthenticated", "this token is not valid (revoked or expired?)")
    return Principal(
        owner.user_id,
        owner.username,
        owner.role,
        ip,
        "token",
        owner.scope,
        needs_second_factor=_needs_second_factor(
            services, owner.role, enabled=owner.totp_enabled, required=owner.totp_required
        ),
    )


def _check_csrf(request: Request, csrf_sha256: str) -> None:
    sent = request.headers.get(CSRF_HEADER, "")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not sent or not hmac.compare_digest(sent, cookie):
        raise GatewayError(403, "csrf", f"missing or wrong {CSRF_HEADER} header")
    if not hmac.compare_digest(sha256(sent), csrf_sha256):
        raise GatewayError(403, "csrf", f"the {CSRF_HEADER} does not belong to this session")


def authorize(action: str) -> Callable[[Request], Awaitable[Access]]:
    """The dependency of a route taking ``action``: the caller, checked by the policy."""
    rule = policy.rule_for(action)  # an action without a rule fails at import, not later

    async def dependency(request: Request) -> Access:
        services = app_services(request)
        ip = client_ip(request, services.settings)
        # a public route (login) ignores any session the browser still sends
        principal = await current_principal(request, services, ip) if rule.roles else None
        _limit_writes(services, principal, request.method)
        access = Access(principal, ip, uuid.uuid4().hex)
        write = request.method.upper() not in policy.READ_METHODS
        decision = policy.check_caller(action, principal, request.method)
        await _enforce_audited(services, access, action, decision, write=write)
        if principal is None or rule.target is policy.Target.NONE:
            return access
        facts, target = await services.db.read(_facts, action, principal, dict(request.path_params))
        decision = policy.check_target(action, principal, facts)
        await _enforce_audited(services, access, action, decision, write=write)
        return Access(principal, ip, access.request_id, target)

    setattr(dependency, ACTION_ATTRIBUTE, action)
    return dependency


def _limit_writes(services: Services, principal: Principal | None, method: str) -> None:
    if principal is None or method.upper() in policy.READ_METHODS:
        return
    wait = services.writes.take(principal.user_id)
    if wait:
        raise GatewayError(
            429,
            "throttled",
            "too many changes; retry after the Retry-After header",
            {"retry_after_s": wait},
            headers={"Retry-After": str(wait)},
        )


async def _enforce_audited(
    services: Services, access: Access, action: str, decision: policy.Decision, *, write: bool
) -> None:
    """Enforce ``decision``; a signed-in caller's forbidden change is audited first (his
    writes are rate limited, so these entries are bounded too)."""
    denied = not decision.allowed and decision.status == 403
    if denied and write and access.principal is not None:
        caller = access.principal
        entry = AuditRecorded(
            action="access.denied",
            actor_id=caller.user_id,
            actor_role=caller.role,
            ip=access.ip,
            outcome="denied",
            details={"attempted": action, "code": decision.code},
        )
        await services.audit.record(entry, access.request_id)
    _enforce(decision)


def _enforce(decision: policy.Decision) -> None:
    if not decision.allowed:
        raise GatewayError(decision.status, decision.code, decision.message)


def _facts(
    connection: Connection, action: str, principal: Principal, path: dict[str, Any]
) -> tuple[policy.TargetFacts, RowMapping | None]:
    # runs before the path is validated: an id that cannot exist is simply not found
    if not all(_ID.match(str(value)) for value in path.values()):
        return policy.TargetFacts(found=False), None
    target = policy.rule_for(action).target
    if target is policy.Target.OWN_TOKEN:
        owned = owns_live_token(connection, principal.user_id, str(path.get("token_id", "")))
        return policy.TargetFacts(found=owned), None
    if target is policy.Target.OWN_TRADING_SESSION:
        owned = owns_session(connection, principal.user_id, str(path.get("session_id", "")))
        return policy.TargetFacts(found=owned), None
    if target is policy.Target.GRANTED_TRADER:
        trader_id = str(path.get("trader_id", ""))
        if not is_granted(connection, principal.user_id, trader_id):
            return policy.TargetFacts(found=False), None
        return _user_facts(connection, trader_id)
    return _user_facts(connection, str(path.get("user_id", "")))


def _user_facts(
    connection: Connection, user_id: str
) -> tuple[policy.TargetFacts, RowMapping | None]:
    row = user_row(connection, user_id)
    if row is None:
        return policy.TargetFacts(found=False), None
    return policy.TargetFacts(True, UserId(row["user_id"]), row["role"]), row


def route_action(route: APIRoute) -> str | None:
    """The action a route authorizes with, if any."""
    for dependency in route.dependant.dependencies:
        action = getattr(dependency.call, ACTION_ATTRIBUTE, None)
        if action is not None:
            return str(action)
    return None


def check_every_route_authorized(app: FastAPI) -> None:
    """Refuse an app with an API route that names no policy action."""
    missing = [
        f"{sorted(route.methods or ())} {route.path}"
        for route in app.routes
        if isinstance(route, APIRoute) and route_action(route) is None
    ]
    if missing:
        raise RuntimeError(f"routes without a policy action: {', '.join(missing)}")
