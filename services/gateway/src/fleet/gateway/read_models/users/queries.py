"""Reads of the users read model (synchronous; run in a worker thread)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, func, or_, select

from fleet.events.ids import Scope, UserId
from fleet.events.users import Role, TradingSettings
from fleet.gateway.read_models.live import live
from fleet.gateway.read_models.users import projection as p
from fleet.gateway.schemas.admin import GrantOut, UserOut
from fleet.gateway.schemas.auth import TokenOut
from fleet.gateway.schemas.base import Page
from fleet.gateway.schemas.trading import SettingsOut

users = live(p.users, "users")
grants = live(p.grants, "users")
trading_settings = live(p.trading_settings, "users")
tokens = live(p.tokens, "users")


@dataclass(frozen=True)
class TokenOwner:
    """The owner of a live access token."""

    user_id: UserId
    username: str
    role: Role
    scope: Scope
    totp_enabled: bool = False
    totp_required: bool = False


def _locked(row: RowMapping, now: datetime) -> bool:
    until = row["locked_until"]
    return until is not None and until > now


def user_out(row: RowMapping) -> UserOut:
    """The admin view of one user row."""
    now = datetime.now(UTC)
    return UserOut(
        id=row["user_id"],
        username=row["username"],
        email=row["email"],
        role=row["role"],
        active=row["active"],
        locked=_locked(row, now),
        locked_until=row["locked_until"] if _locked(row, now) else None,
        failed_logins=row["failed_logins"],
        last_login_at=row["last_login_at"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        totp_enabled=bool(row["totp_enabled"]),
        totp_required=bool(row["totp_required"]),
    )


def user_row(connection: Connection, user_id: str) -> RowMapping | None:
    """A user who exists and is not deleted."""
    query = select(users).where(users.c.user_id == user_id, users.c.deleted.is_(False))
    return connection.execute(query).mappings().first()


def get_user(connection: Connection, user_id: str) -> UserOut | None:
    row = user_row(connection, user_id)
    return user_out(row) if row else None


def list_users(
    connection: Connection,
    *,
    role: str | None,
    active: bool | None,
    search: str | None,
    limit: int,
    offset: int,
) -> Page[UserOut]:
    """Users, newest first, filtered by role, active flag and a username/email search."""
    conditions: list[Any] = [users.c.deleted.is_(False)]
    if role is not None:
        conditions.append(users.c.role == role)
    if active is not None:
        conditions.append(users.c.active.is_(active))
    if search:
        pattern = f"%{_escape_like(search)}%"
        conditions.append(
            or_(
                users.c.username.ilike(pattern, escape="\\"),
                users.c.email.ilike(pattern, escape="\\"),
            )
        )
    where = and_(*conditions)
    total = connection.execute(select(func.count()).select_from(users).where(where)).scalar_one()
    rows = connection.execute(
        select(users)
        .where(where)
        .order_by(users.c.created_at.desc(), users.c.user_id)
        .limit(limit)
        .offset(offset)
    ).mappings()
    return Page[UserOut](
        items=[user_out(row) for row in rows], total=total, limit=limit, offset=offset
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def grants_of(connection: Connection, viewer_id: str) -> list[GrantOut]:
    """The traders a viewer may read (users that still exist and are still traders)."""
    query = (
        select(grants, users.c.username)
        .join(users, users.c.user_id == grants.c.trader_id)
        .where(
            grants.c.viewer_id == viewer_id,
            users.c.deleted.is_(False),
            users.c.role == "trader",
        )
        .order_by(users.c.username)
    )
    return [
        GrantOut(
            viewer_id=row["viewer_id"],
            trader_id=row["trader_id"],
            trader_username=row["username"],
            granted_at=row["granted_at"],
            granted_by=row["granted_by"],
        )
        for row in connection.execute(query).mappings()
    ]


def is_granted(connection: Connection, viewer_id: str, trader_id: str) -> bool:
    """Whether ``viewer_id`` may read ``trader_id``: granted, and the trader still exists
    and is still a trader (a grant is checked at use, whatever its revocation's timing)."""
    query = (
        select(grants.c.trader_id)
        .join(users, users.c.user_id == grants.c.trader_id)
        .where(
            grants.c.viewer_id == viewer_id,
            grants.c.trader_id == trader_id,
            users.c.deleted.is_(False),
            users.c.role == "trader",
        )
    )
    return connection.execute(query).first() is not None


def viewers_granted(connection: Connection, trader_id: str) -> list[str]:
    """The viewers holding a grant on ``trader_id``."""
    query = select(grants.c.viewer_id).where(grants.c.trader_id == trader_id)
    return [str(viewer_id) for viewer_id in connection.execute(query).scalars()]


def settings_of(connection: Connection, user_id: str) -> SettingsOut:
    """The user's trading settings (the product defaults until he changes one)."""
    row = (
        connection.execute(select(trading_settings).where(trading_settings.c.user_id == user_id))
        .mappings()
        .first()
    )
    values = TradingSettings.model_validate(row["settings"]) if row else TradingSettings()
    return SettingsOut(
        **values.model_dump(exclude={"symbols"}),
        symbols=list(values.symbols),
        updated_at=row["updated_at"] if row else None,
    )


def token_owner(connection: Connection, token_sha256: str) -> TokenOwner | None:
    """The owner of a live token (not revoked or expired; owner active, unlocked)."""
    return token_owners(connection, [token_sha256]).get(token_sha256)


def token_owners(connection: Connection, digests: Iterable[str]) -> dict[str, TokenOwner]:
    """Of ``digests`` (SHA-256 of tokens), the live ones with their owners, in ONE query
    (a live socket check holds hundreds of tokens every half second)."""
    wanted = sorted(set(digests))
    if not wanted:
        return {}
    now = datetime.now(UTC)
    query = (
        select(tokens.c.token_sha256, tokens.c.scope, tokens.c.expires_at, users)
        .join(users, users.c.user_id == tokens.c.user_id)
        .where(tokens.c.token_sha256.in_(wanted), tokens.c.revoked_at.is_(None))
    )
    found = {}
    for row in connection.execute(query).mappings():
        if not row["active"] or row["deleted"] or _locked(row, now):
            continue
        if row["expires_at"] is not None and row["expires_at"] <= now:
            continue
        found[row["token_sha256"]] = TokenOwner(
            UserId(row["user_id"]),
            row["username"],
            row["role"],
            row["scope"],
            bool(row["totp_enabled"]),
            bool(row["totp_required"]),
        )
    return found


def tokens_of(connection: Connection, user_id: str) -> list[TokenOut]:
    query = select(tokens).where(tokens.c.user_id == user_id).order_by(tokens.c.created_at)
    return [
        TokenOut(
            token_id=row["token_id"],
            name=row["name"],
            scope=row["scope"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            revoked=row["revoked_at"] is not None,
        )
        for row in connection.execute(query).mappings()
    ]


def owns_live_token(connection: Connection, user_id: str, token_id: str) -> bool:
    query = select(tokens.c.token_id).where(
        tokens.c.user_id == user_id, tokens.c.token_id == token_id, tokens.c.revoked_at.is_(None)
    )
    return connection.execute(query).first() is not None


def roles_of(connection: Connection, user_ids: Sequence[str]) -> dict[str, str]:
    """The role of each of ``user_ids`` that exists and is not deleted."""
    if not user_ids:
        return {}
    query = select(users.c.user_id, users.c.role).where(
        users.c.user_id.in_(list(user_ids)), users.c.deleted.is_(False)
    )
    return {row.user_id: row.role for row in connection.execute(query)}
