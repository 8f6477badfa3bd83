"""The users read model (schema ``rm_users``): users, viewer grants, trading settings and
access tokens, from the user aggregate's events (``ev.user.<id>``)."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    Table,
    delete,
    or_,
    update,
)
from sqlalchemy.dialects.postgresql import insert

from fleet.events import AggregateRef, DomainEvent, Envelope
from fleet.events import users as ev
from fleet.events.personal import ERASED
from fleet.gateway.read_models.dispatch import DispatchingProjection, Handler
from fleet.projections import PROJECTION_SCHEMA, ProjectionTx
from fleet.projections.columns import text_column

metadata = MetaData(schema=PROJECTION_SCHEMA)
users = Table(
    "users",
    metadata,
    text_column("user_id", AggregateRef, "id", primary_key=True),
    text_column("username", ev.UserCreated, "username", nullable=False, index=True),
    text_column("email", ev.UserCreated, "email", nullable=False),
    text_column("role", ev.UserCreated, "role", nullable=False),
    Column("active", Boolean, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("locked_until", DateTime(timezone=True)),
    Column("failed_logins", Integer, nullable=False),
    Column("last_login_at", DateTime(timezone=True)),
    text_column("last_login_ip", ev.LoginSucceeded, "ip"),  # "erased" once shredded
    Column("password_changed_at", DateTime(timezone=True)),
    Column("sessions_valid_after", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    text_column("created_by", ev.UserCreated, "created_by"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("totp_enabled", Boolean, nullable=False, default=False),  # two-factor on
    Column("totp_required", Boolean, nullable=False, default=False),  # an admin wants it
    Column("email_verified", Boolean, nullable=False, default=False),  # the link was opened
)
grants = Table(
    "grants",
    metadata,
    text_column("viewer_id", AggregateRef, "id", primary_key=True),
    text_column("trader_id", ev.ViewerGrantGiven, "trader_id", primary_key=True, index=True),
    Column("granted_at", DateTime(timezone=True), nullable=False),
    text_column("granted_by", Envelope, "actor", nullable=False),
)
trading_settings = Table(
    "trading_settings",
    metadata,
    text_column("user_id", AggregateRef, "id", primary_key=True),
    Column("settings", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    text_column("updated_by", Envelope, "actor", nullable=False),
)
tokens = Table(
    "tokens",
    metadata,
    text_column("token_sha256", ev.AccessTokenCreated, "token_sha256", primary_key=True),
    text_column("token_id", ev.AccessTokenCreated, "token_id", nullable=False, unique=True),
    text_column("user_id", AggregateRef, "id", nullable=False, index=True),
    text_column("name", ev.AccessTokenCreated, "name", nullable=False),
    text_column("scope", ev.AccessTokenCreated, "scope", nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)


def _set(tx: ProjectionTx, envelope: Envelope, **values: Any) -> None:
    tx.execute(
        update(users)
        .where(users.c.user_id == envelope.aggregate.id)
        .values(updated_at=envelope.occurred_at, **values)
    )


def _ends_sessions(tx: ProjectionTx, envelope: Envelope, **values: Any) -> None:
    """A change after which every earlier session of the user is dead."""
    _set(tx, envelope, sessions_valid_after=envelope.occurred_at, **values)


def _created(tx: ProjectionTx, event: ev.UserCreated, envelope: Envelope) -> None:
    tx.execute(
        insert(users)
        .values(
            user_id=envelope.aggregate.id,
            username=event.username,
            email=event.email,
            role=event.role,
            active=True,
            deleted=False,
            failed_logins=0,
            totp_enabled=False,
            totp_required=False,
            email_verified=False,
            created_at=envelope.occurred_at,
            created_by=event.created_by,
            updated_at=envelope.occurred_at,
        )
        .on_conflict_do_nothing()
    )


def _role(tx: ProjectionTx, event: ev.UserRoleChanged, envelope: Envelope) -> None:
    _ends_sessions(tx, envelope, role=event.role)


def _activated(tx: ProjectionTx, _event: ev.UserActivated, envelope: Envelope) -> None:
    _set(tx, envelope, active=True)


def _deactivated(tx: ProjectionTx, _event: ev.UserDeactivated, envelope: Envelope) -> None:
    _ends_sessions(tx, envelope, active=False)


def _deleted(tx: ProjectionTx, _event: ev.UserDeleted, envelope: Envelope) -> None:
    # his data key is destroyed with this event: what was opened with it is erased here too
    _ends_sessions(tx, envelope, active=False, deleted=True, email=ERASED)
    tx.execute(
        update(users)
        .where(users.c.user_id == envelope.aggregate.id, users.c.last_login_ip.is_not(None))
        .values(last_login_ip=ERASED)
    )
    user = envelope.aggregate.id
    tx.execute(delete(grants).where(or_(grants.c.viewer_id == user, grants.c.trader_id == user)))


def _password(tx: ProjectionTx, event: ev.PasswordSet, envelope: Envelope) -> None:
    if event.reason in ("changed", "reset"):
        _ends_sessions(tx, envelope, password_changed_at=envelope.occurred_at)


def _login_ok(tx: ProjectionTx, event: ev.LoginSucceeded, envelope: Envelope) -> None:
    _set(tx, envelope, last_login_at=envelope.occurred_at, last_login_ip=event.ip, failed_logins=0)


def _login_failed(tx: ProjectionTx, event: ev.LoginFailed, envelope: Envelope) -> None:
    _set(tx, envelope, failed_logins=event.consecutive_failures)


def _locked(tx: ProjectionTx, event: ev.UserLocked, envelope: Envelope) -> None:
    _ends_sessions(tx, envelope, locked_until=event.until)


def _unlocked(tx: ProjectionTx, _event: ev.UserUnlocked, envelope: Envelope) -> None:
    _set(tx, envelope, locked_until=None, failed_logins=0)


def _email(tx: ProjectionTx, event: ev.EmailChanged, envelope: Envelope) -> None:
    _set(tx, envelope, email=event.email, email_verified=False)


def _email_verified(tx: ProjectionTx, _event: ev.EmailVerified, envelope: Envelope) -> None:
    _set(tx, envelope, email_verified=True)


def _granted(tx: ProjectionTx, event: ev.ViewerGrantGiven, envelope: Envelope) -> None:
    row = {
        "viewer_id": envelope.aggregate.id,
        "trader_id": event.trader_id,
        "granted_at": envelope.occurred_at,
        "granted_by": envelope.actor,
    }
    tx.execute(insert(grants).values(row).on_conflict_do_nothing())


def _revoked(tx: ProjectionTx, event: ev.ViewerGrantRevoked, envelope: Envelope) -> None:
    tx.execute(
        delete(grants).where(
            grants.c.viewer_id == envelope.aggregate.id, grants.c.trader_id == event.trader_id
        )
    )


def _settings(tx: ProjectionTx, event: ev.TradingSettingsChanged, envelope: Envelope) -> None:
    row = {
        "user_id": envelope.aggregate.id,
        "settings": event.settings.model_dump(mode="json"),
        "updated_at": envelope.occurred_at,
        "updated_by": envelope.actor,
    }
    upsert = insert(trading_settings).values(row)
    tx.execute(upsert.on_conflict_do_update(index_elements=["user_id"], set_=row))


def _token(tx: ProjectionTx, event: ev.AccessTokenCreated, envelope: Envelope) -> None:
    row = {
        "token_sha256": event.token_sha256,
        "token_id": event.token_id,
        "user_id": envelope.aggregate.id,
        "name": event.name,
        "scope": event.scope,
        "created_at": envelope.occurred_at,
        "expires_at": event.expires_at,
    }
    tx.execute(insert(tokens).values(row).on_conflict_do_nothing())


def _token_revoked(tx: ProjectionTx, event: ev.AccessTokenRevoked, envelope: Envelope) -> None:
    tx.execute(
        update(tokens)
        .where(tokens.c.token_id == event.token_id, tokens.c.user_id == envelope.aggregate.id)
        .values(revoked_at=envelope.occurred_at)
    )


def _totp_on(tx: ProjectionTx, _event: ev.TotpEnabled, envelope: Envelope) -> None:
    _set(tx, envelope, totp_enabled=True)


def _totp_off(tx: ProjectionTx, _event: ev.TotpDisabled, envelope: Envelope) -> None:
    _set(tx, envelope, totp_enabled=False)


def _totp_required(tx: ProjectionTx, event: ev.TotpRequirementChanged, envelope: Envelope) -> None:
    _set(tx, envelope, totp_required=event.required)


class UsersProjection(DispatchingProjection):
    """Users, grants, trading settings and access tokens."""

    name = "users"
    # 2: columns follow the event bounds; 3: personal data opened, erased on deletion;
    # 4: totp_enabled, totp_required; 5: email_verified
    version = 5
    metadata: ClassVar[MetaData] = metadata
    handlers: ClassVar[dict[type[DomainEvent], Handler]] = {
        ev.UserCreated: _created,
        ev.UserRoleChanged: _role,
        ev.UserActivated: _activated,
        ev.UserDeactivated: _deactivated,
        ev.UserDeleted: _deleted,
        ev.PasswordSet: _password,
        ev.LoginSucceeded: _login_ok,
        ev.LoginFailed: _login_failed,
        ev.UserLocked: _locked,
        ev.UserUnlocked: _unlocked,
        ev.EmailChanged: _email,
        ev.EmailVerified: _email_verified,
        ev.ViewerGrantGiven: _granted,
        ev.ViewerGrantRevoked: _revoked,
        ev.TradingSettingsChanged: _settings,
        ev.AccessTokenCreated: _token,
        ev.AccessTokenRevoked: _token_revoked,
        ev.TotpEnabled: _totp_on,
        ev.TotpDisabled: _totp_off,
        ev.TotpRequirementChanged: _totp_required,
    }
