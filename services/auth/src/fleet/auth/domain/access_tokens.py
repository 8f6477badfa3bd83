"""Personal access tokens: ``flt_`` + 43 random URL-safe characters (256 bits). Only the
SHA-256 (hex of the UTF-8 token) is ever stored; the token is shown to its owner once.

A token never grants more than its owner's role: viewers get ``read``, traders ``read``
or ``write``, admins any scope. Every token expires (``TokenRules.max_days``, default 90)
and a user holds at most ``TokenRules.max_per_user`` live tokens.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from fleet.auth.errors import InvalidInput
from fleet.events.ids import TOKEN_PREFIX, Scope, TokenId
from fleet.events.users import Role

MAX_NAME = 64
SCOPES_OF: dict[Role, frozenset[Scope]] = {
    "viewer": frozenset({"read"}),
    "trader": frozenset({"read", "write"}),
    "admin": frozenset({"read", "write", "admin"}),
}


@dataclass(frozen=True)
class TokenRules:
    """Limits on tokens, from the service settings."""

    max_days: int = 90
    max_per_user: int = 20


@dataclass(frozen=True)
class NewToken:
    """A token being created: its id, hash, name, scope and lifetime in days."""

    token_id: str
    sha256: str
    name: str
    scope: Scope
    days: int


def new_token() -> tuple[TokenId, str]:
    """A fresh token id and token."""
    return TokenId(uuid.uuid4().hex), TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_sha256(token: str) -> str:
    """What is stored and looked up: the SHA-256 hex of the token's UTF-8 bytes."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_token_request(role: Role, scope: Scope, name: str, days: int, rules: TokenRules) -> str:
    """The trimmed token name, or :class:`InvalidInput` naming the bad field."""
    if scope not in SCOPES_OF[role]:
        raise InvalidInput("scope", f"a {role} may create tokens of scope {_scopes(role)} only")
    label = name.strip()
    if not label or len(label) > MAX_NAME or not label.isprintable():
        raise InvalidInput("token_name", f"a token name has 1-{MAX_NAME} printable characters")
    if not 1 <= days <= rules.max_days:
        raise InvalidInput(
            "expires_in_days", f"expires_in_days must be between 1 and {rules.max_days}"
        )
    return label


def _scopes(role: Role) -> str:
    return " or ".join(sorted(SCOPES_OF[role]))
