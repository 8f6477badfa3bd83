"""Personal data in events, sealed with a per-subject data key (crypto-shredding).

An e-mail address, an IP address, a user agent or a password hash is written to the log as
``pii1:<subject>:<base64url(nonce | AES-256-GCM ciphertext)>``, where ``subject`` names the
data key (a user id, or ``day-YYYY-MM-DD`` for what belongs to no known user: the source
of refused logins). The subject is the associated data, so a value cannot be moved to
another person's key. Destroying the key (deleting the user) makes every value sealed with
it read as :data:`ERASED`, for ever, while the log keeps its shape.

Pure functions: where the keys live is the caller's business
(``fleet.projections.personal_keys``).
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import AfterValidator, BeforeValidator, StringConstraints

from fleet.events.bounds import EMAIL_MAX, HASH_MAX, ID_MAX, IP_MAX, USER_AGENT_MAX
from fleet.events.bounds import _address_or_unknown as address_or_unknown

PREFIX = "pii1:"
ERASED = "erased"  # what a value reads as once its key is destroyed
KEY_BYTES = 32
_NONCE = 12
_TAG = 16
_SEALED = re.compile(r"^pii1:([A-Za-z0-9_-]{1,128}):([A-Za-z0-9_-]+={0,2})$")


def sealed_max(plain_max: int) -> int:
    """The longest sealed form of a text of at most ``plain_max`` characters (UTF-8 up to
    4 bytes each)."""
    raw = _NONCE + 4 * plain_max + _TAG
    return len(PREFIX) + ID_MAX + 1 + 4 * ((raw + 2) // 3)


def new_key() -> bytes:
    """A fresh random AES-256 data key."""
    return AESGCM.generate_key(bit_length=8 * KEY_BYTES)


def seal(subject: str, key: bytes, text: str) -> str:
    """``text`` sealed under ``subject``'s key ("" stays "": nothing to hide)."""
    if not text or is_sealed(text) or text == ERASED:
        return text
    nonce = os.urandom(_NONCE)
    ciphertext = AESGCM(key).encrypt(nonce, text.encode(), subject.encode())
    return f"{PREFIX}{subject}:{base64.urlsafe_b64encode(nonce + ciphertext).decode()}"


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def subject_of(value: str) -> str | None:
    """Whose key sealed ``value`` (None: not a sealed value)."""
    found = _SEALED.match(value)
    return found.group(1) if found else None


def open_value(value: str, key: bytes | None) -> str:
    """The plain text of a sealed value, :data:`ERASED` without its key (or if it does not
    open with it); anything not sealed is returned as it is."""
    found = _SEALED.match(value)
    if found is None:
        return ERASED if is_sealed(value) else value
    if key is None:
        return ERASED
    try:
        raw = base64.urlsafe_b64decode(found.group(2))
        plain = AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], found.group(1).encode())
    except (InvalidTag, ValueError):
        return ERASED
    return plain.decode()


def subjects_in(data: Any) -> set[str]:
    """Every key subject that sealed a value somewhere in ``data`` (nested dicts/lists)."""
    found: set[str] = set()

    def note(text: str) -> str:
        if subject := subject_of(text):
            found.add(subject)
        return text

    _walk(data, note)
    return found


def reveal(data: Any, keys: Mapping[str, bytes | None]) -> Any:
    """``data`` with every sealed value opened with ``keys`` (missing: :data:`ERASED`)."""
    return _walk(data, lambda text: open_value(text, keys.get(subject_of(text) or "")))


def _walk(data: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(data, str):
        return fn(data) if data.startswith(PREFIX) else data
    if isinstance(data, dict):
        return {name: _walk(value, fn) for name, value in data.items()}
    if isinstance(data, list | tuple):
        return [_walk(value, fn) for value in data]
    return data


def day_subject(when: datetime) -> str:
    """The key of one UTC day's personal data that belongs to no known user (refused
    logins' sources): destroyed after the retention period."""
    return f"day-{when:%Y-%m-%d}"


def _ip_sealed_or_unknown(value: object) -> object:
    if is_sealed(value) or value == ERASED:
        return value
    return address_or_unknown(value)


def _plain_at_most(plain_max: int) -> AfterValidator:
    """A plain value keeps its own bound; the sealed form has the wider one."""

    def check(value: str) -> str:
        if not is_sealed(value) and len(value) > plain_max:
            raise ValueError(f"at most {plain_max} characters")
        return value

    return AfterValidator(check)


# personal fields: the plain value (as before), its sealed form, or "erased"
PersonalIp = Annotated[
    str,
    BeforeValidator(_ip_sealed_or_unknown),
    StringConstraints(max_length=sealed_max(IP_MAX)),
]
PersonalEmail = Annotated[
    str, StringConstraints(max_length=sealed_max(EMAIL_MAX)), _plain_at_most(EMAIL_MAX)
]
PersonalUserAgent = Annotated[
    str, StringConstraints(max_length=sealed_max(USER_AGENT_MAX)), _plain_at_most(USER_AGENT_MAX)
]
PersonalHash = Annotated[
    str, StringConstraints(max_length=sealed_max(HASH_MAX)), _plain_at_most(HASH_MAX)
]


LINK_TOKEN_MAX = 200  # a mailed link's single-use token (``<user id>.<43 characters>``)
# a mailed link's token: its writer seals it (auth's User aggregate refuses a plain one);
# readers that open sealed values (notify) see it plain, hence no sealed-only check here
PersonalToken = Annotated[
    str, StringConstraints(max_length=sealed_max(LINK_TOKEN_MAX)), _plain_at_most(LINK_TOKEN_MAX)
]
