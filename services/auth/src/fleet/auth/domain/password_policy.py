"""The minimum password policy: at least 12 characters, not the username, not containing
it (case-insensitive), at most 1024 characters (argon2 needs no more; a huge input is a
denial-of-service, not a password)."""

from __future__ import annotations

import secrets

from fleet.auth.domain.identity import normalize_username
from fleet.auth.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 1024


def check_password(password: str, username: str, field: str = "password") -> None:
    """Raise :class:`InvalidInput` naming ``field`` when ``password`` breaks the policy."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(field, f"a password has at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(field, f"a password has at most {MAX_LENGTH} characters")
    name = normalize_username(username)
    if name and name in password.lower():
        raise InvalidInput(field, "a password must not contain the username")


def generate_password(username: str) -> str:
    """A random one-time password that passes the policy (24 URL-safe characters)."""
    while True:
        candidate = secrets.token_urlsafe(18)
        try:
            check_password(candidate, username)
        except InvalidInput:
            continue
        return candidate
