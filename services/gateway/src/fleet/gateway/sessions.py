"""Browser sessions: server-side rows in a gateway-owned PostgreSQL table.

This is ephemeral security state, not a read model: it is not rebuilt from the log, and
losing it only logs people out. The client holds a random session id (an HttpOnly
cookie); the table holds only its SHA-256, and the SHA-256 of the CSRF token bound to it.

A session dies at its absolute expiry, after an idle timeout, on logout, and when the
log says the user's password changed or was reset, or the user was deactivated, deleted,
locked or given another role: the users read model keeps ``sessions_valid_after`` (the
time of the last such event) and a session created before it is dead. That rule is
replay-safe: rebuilding the read model never kills a session created after the event.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    delete,
    insert,
    text,
    update,
)

from fleet.events.ids import UserId
from fleet.events.users import Role
from fleet.gateway.migrations import migrate
from fleet.gateway.principal import SessionHash

SCHEMA = "gateway"
LAST_SEEN_RESOLUTION = timedelta(seconds=30)  # idle tracking without a write per request

metadata = MetaData(schema=SCHEMA)
sessions = Table(
    "sessions",
    metadata,
    Column("session_sha256", String(64), primary_key=True),
    Column("user_id", String(128), nullable=False, index=True),
    Column("csrf_sha256", String(64), nullable=False),
    Column("must_change_password", Boolean, nullable=False, default=False),
    Column("ip", String(64), nullable=False),
    Column("user_agent", String(256), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)


def sha256(value: str) -> str:
    """Hex SHA-256 of a secret value (session ids, CSRF tokens, access tokens)."""
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class NewSession:
    """What the client receives once: the session id and its CSRF token."""

    session_id: str
    csrf_token: str
    session_hash: SessionHash


@dataclass(frozen=True)
class SessionUser:
    """A live session's user, as the users read model describes them now."""

    session_hash: SessionHash
    user_id: UserId
    username: str
    role: Role
    csrf_sha256: str
    must_change_password: bool
    totp_enabled: bool = False
    totp_required: bool = False


@dataclass(frozen=True)
class SessionPolicy:
    """Lifetimes of a session."""

    ttl: timedelta
    idle: timedelta


class SessionStore:
    """Create, resolve and end sessions (synchronous: called in a worker thread)."""

    def __init__(self, engine: Engine, lifetimes: SessionPolicy) -> None:
        self.engine = engine
        self.lifetimes = lifetimes

    def create_schema(self) -> None:
        """Migrate the schema and table to the latest revision (Alembic, idempotent, at
        startup; one process at a time: ``fleet.gateway.migrations``)."""
        migrate(self.engine)

    def create(
        self, user_id: UserId, *, ip: str, user_agent: str, must_change_password: bool
    ) -> NewSession:
        """A new session for ``user_id``; only hashes are stored."""
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        now = datetime.now(UTC)
        digest = sha256(session_id)
        row = {
            "session_sha256": digest,
            "user_id": user_id,
            "csrf_sha256": sha256(csrf),
            "must_change_password": must_change_password,
            "ip": ip[:64],
            "user_agent": user_agent[:256],
            "created_at": now,
            "last_seen_at": now,
            "expires_at": now + self.lifetimes.ttl,
        }
        with self.engine.begin() as connection:
            connection.execute(insert(sessions).values(row))
        return NewSession(session_id, csrf, SessionHash(digest))

    def resolve(self, session_id: str) -> SessionUser | None:
        """The live session's user, or ``None`` (unknown, expired, idle, or killed by the
        log). Refreshes ``last_seen_at`` at most every 30 seconds."""
        digest = sha256(session_id)
        now = datetime.now(UTC)
        idle_since = now - self.lifetimes.idle
        with self.engine.connect() as connection:
            asked = {"h": digest, "now": now, "idle_since": idle_since}
            row = connection.execute(_RESOLVE, asked).mappings().first()
            if row is None:
                return None
            if now - row["last_seen_at"] >= LAST_SEEN_RESOLUTION:
                connection.execute(
                    update(sessions)
                    .where(sessions.c.session_sha256 == digest)
                    .values(last_seen_at=now)
                )
                connection.commit()
        return SessionUser(
            SessionHash(digest),
            UserId(row["user_id"]),
            row["username"],
            row["role"],
            row["csrf_sha256"],
            bool(row["must_change_password"]),
            bool(row["totp_enabled"]),
            bool(row["totp_required"]),
        )

    def end(self, session_hash: SessionHash) -> None:
        """Logout: this session."""
        with self.engine.begin() as connection:
            connection.execute(delete(sessions).where(sessions.c.session_sha256 == session_hash))

    def end_all(self, user_id: UserId) -> int:
        """Logout everywhere: every session of ``user_id``."""
        with self.engine.begin() as connection:
            result = connection.execute(delete(sessions).where(sessions.c.user_id == user_id))
        return int(result.rowcount)

    def of_user(self, user_id: UserId) -> list[dict[str, object]]:
        """The user's live sessions, newest first (for his security log)."""
        now = datetime.now(UTC)
        with self.engine.connect() as connection:
            rows = connection.execute(
                _OWN, {"u": user_id, "now": now, "idle_since": now - self.lifetimes.idle}
            )
            return [dict(row) for row in rows.mappings()]

    def end_own(self, user_id: UserId, session_hash: str) -> bool:
        """End one of the user's sessions (``False``: no such session of his)."""
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(sessions).where(
                    sessions.c.user_id == user_id, sessions.c.session_sha256 == session_hash
                )
            )
        return bool(result.rowcount)

    def purge(self) -> int:
        """Delete expired, idle and log-killed sessions (housekeeping)."""
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            result = connection.execute(
                _PURGE, {"now": now, "idle_since": now - self.lifetimes.idle}
            )
        return int(result.rowcount)


# The one rule of a session's life, in SQL (``s`` the session, ``u`` its user's row): kept
# while its user is active and not deleted, it has not expired nor idled out, and it was
# made after the user's last "log out everywhere"; usable while, besides, the user is not
# locked out (a lock-out pauses sessions, it does not end them).
KEPT = """u.active AND NOT u.deleted AND s.expires_at > :now AND s.last_seen_at > :idle_since
      AND (u.sessions_valid_after IS NULL OR s.created_at > u.sessions_valid_after)"""
ALIVE = KEPT + " AND (u.locked_until IS NULL OR u.locked_until <= :now)"
_RESOLVE = text(
    f"""
    SELECT s.user_id, s.csrf_sha256, s.must_change_password, s.last_seen_at, u.username,
           u.role, u.totp_enabled, u.totp_required
    FROM gateway.sessions s JOIN rm_users.users u ON u.user_id = s.user_id
    WHERE s.session_sha256 = :h AND {ALIVE}
    """  # noqa: S608 - constant SQL, parameters bound
)
_OWN = text(
    f"""
    SELECT s.session_sha256, s.ip, s.user_agent, s.created_at, s.last_seen_at, s.expires_at
    FROM gateway.sessions s JOIN rm_users.users u ON u.user_id = s.user_id
    WHERE s.user_id = :u AND {ALIVE}
    ORDER BY s.created_at DESC
    """  # noqa: S608 - constant SQL, parameters bound
)
_PURGE = text(
    f"""
    DELETE FROM gateway.sessions s
    WHERE NOT EXISTS (SELECT 1 FROM rm_users.users u WHERE u.user_id = s.user_id AND {KEPT})
    """  # noqa: S608 - constant SQL, parameters bound
)
