"""Which open sockets still have a live session or token: one query for every session
of the process, so a revoked one is closed within the check interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, bindparam, text

from fleet.gateway.read_models.users.queries import token_owners
from fleet.gateway.sessions import ALIVE, LAST_SEEN_RESOLUTION

# the rule of SessionStore.resolve, for many sessions at once
_ALIVE = text(
    f"""
    SELECT s.session_sha256, u.role, s.last_seen_at
    FROM gateway.sessions s JOIN rm_users.users u ON u.user_id = s.user_id
    WHERE s.session_sha256 IN :hashes AND {ALIVE}
    """  # noqa: S608 - constant SQL, parameters bound
).bindparams(bindparam("hashes", expanding=True))
# an open socket is activity, as polling was: its session does not idle out
_TOUCH = text(
    "UPDATE gateway.sessions SET last_seen_at = :now WHERE session_sha256 IN :hashes"
).bindparams(bindparam("hashes", expanding=True))


def live_sessions(connection: Connection, hashes: set[str], idle: timedelta) -> dict[str, str]:
    """Of ``hashes``, the sessions still alive, with their user's role now."""
    if not hashes:
        return {}
    now = datetime.now(UTC)
    rows = connection.execute(
        _ALIVE, {"hashes": sorted(hashes), "now": now, "idle_since": now - idle}
    ).all()
    stale = [row.session_sha256 for row in rows if now - row.last_seen_at >= LAST_SEEN_RESOLUTION]
    if stale:
        connection.execute(_TOUCH, {"hashes": stale, "now": now})
        connection.commit()
    return {row.session_sha256: row.role for row in rows}


def live_tokens(connection: Connection, hashes: set[str]) -> dict[str, str]:
    """Of ``hashes`` (SHA-256 of tokens), the tokens still valid, with their owner's role."""
    return {digest: str(owner.role) for digest, owner in token_owners(connection, hashes).items()}
