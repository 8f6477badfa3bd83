"""Identifiers and the rules for usernames and e-mail addresses.

Usernames: 3-32 characters of ``a-z 0-9 _ . -``, starting with a letter or a digit,
compared case-insensitively (``Alice`` and ``alice`` are the same user). The name keeps
the case it was created with for display; uniqueness is on the lowercase form.
"""

from __future__ import annotations

import hashlib
import re
import uuid

from fleet.auth.errors import InvalidInput
from fleet.events.ids import UserId

USERNAME_RULE = "3-32 characters of a-z, 0-9, '_', '.', '-', starting with a letter or digit"
RESERVED_USERNAMES = frozenset({"system", "anonymous"})  # actor labels in events and audit
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,31}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
MAX_EMAIL = 254
LOOKUP_KEY_MAX = 64


def new_user_id() -> UserId:
    """A new random user id (a UUID: letters, digits and '-', a valid subject token)."""
    return UserId(str(uuid.uuid4()))


def normalize_username(username: str) -> str:
    """The form usernames are compared in: surrounding spaces dropped, lowercase."""
    return username.strip().lower()


def check_username(username: str) -> str:
    """The display form of a new username, or :class:`InvalidInput` naming ``username``."""
    display = username.strip()
    normalized = display.lower()
    if not _USERNAME.match(normalized) or not display.isascii():
        raise InvalidInput("username", f"a username is {USERNAME_RULE}")
    if normalized in RESERVED_USERNAMES:
        raise InvalidInput("username", f"{normalized!r} is reserved")
    return display


def is_valid_username(normalized: str) -> bool:
    """Whether ``normalized`` could name a user (a login with any other name fails early)."""
    return bool(_USERNAME.match(normalized)) and normalized not in RESERVED_USERNAMES


def claim_key(normalized: str) -> str:
    """The username-claim aggregate id: the name as hex (a dot is not a subject token)."""
    return normalized.encode().hex()


def check_email(email: str) -> str:
    """A trimmed e-mail address ("" = none), or :class:`InvalidInput` naming ``email``."""
    value = email.strip()
    if value and (len(value) > MAX_EMAIL or not _EMAIL.match(value)):
        raise InvalidInput("email", "an e-mail address looks like name@example.com")
    return value


def normalize_email(email: str) -> str:
    """The form e-mail addresses are compared in: trimmed, lowercase."""
    return email.strip().lower()


def email_claim_key(email: str) -> str:
    """The e-mail-claim aggregate id: the SHA-256 (hex) of the normalized address (the
    address never appears in a subject)."""
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()
