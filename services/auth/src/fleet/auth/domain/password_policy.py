"""The password policy: at least 12 characters, at most 1024 (argon2 needs no more; a huge
input is a denial-of-service, not a password), not containing the username, and strong
enough by zxcvbn's estimate (score >= 3 of 4: no repeated characters, sequences, keyboard
walks or common passwords). Only the first 64 characters are scored: zxcvbn's cost grows
with the length, and 64 characters that score 3 are strong whatever follows."""

from __future__ import annotations

import secrets

import zxcvbn

from fleet.auth.domain.identity import normalize_username
from fleet.auth.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 1024
MIN_SCORE = 3
SCORED_LENGTH = 64


def check_password(password: str, username: str, field: str = "password") -> None:
    """Raise :class:`InvalidInput` naming ``field`` when ``password`` breaks the policy."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(field, f"a password has at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(field, f"a password has at most {MAX_LENGTH} characters")
    name = normalize_username(username)
    if name and name in password.lower():
        raise InvalidInput(field, "a password must not contain the username")
    estimate = zxcvbn.zxcvbn(password[:SCORED_LENGTH], user_inputs=[name] if name else [])
    if estimate["score"] < MIN_SCORE:
        warning = estimate["feedback"]["warning"] or "it is easy to guess"
        raise InvalidInput(field, f"this password is too weak: {warning.rstrip('.')}")


def generate_password(username: str) -> str:
    """A random one-time password that passes the policy (24 URL-safe characters)."""
    while True:
        candidate = secrets.token_urlsafe(18)
        try:
            check_password(candidate, username)
        except InvalidInput:
            continue
        return candidate
