"""Second factor rules (pure): TOTP (RFC 6238, ``pyotp``) and one-time recovery codes.

A TOTP secret is 32 base32 characters (160 bits, RFC 4226's recommended length); a code is
6 digits, accepted one 30-second step either side of now (clock drift). Recovery codes are
10 random codes of 64 bits (``xxxx-xxxx-xxxx-xxxx``, hex): high entropy, so their SHA-256
is enough to store them (a slow hash guards low-entropy secrets such as passwords).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp

from fleet.auth.errors import InvalidInput

ISSUER = "Fleet"
SECRET_LENGTH = 32
RECOVERY_CODES = 10
VALID_WINDOW = 1  # steps of 30 s accepted either side of now
_TOTP_CODE = re.compile(r"[0-9]{6}")
_RECOVERY_CODE = re.compile(r"[0-9a-f]{4}(-[0-9a-f]{4}){3}")
_BASE32_SECRET = re.compile(r"[A-Z2-7]{32}")


def new_secret() -> str:
    """A fresh TOTP secret (base32)."""
    return pyotp.random_base32(SECRET_LENGTH)


def check_secret(secret: str) -> str:
    """``secret`` if it is a well-formed TOTP secret; else :class:`InvalidInput`."""
    if not _BASE32_SECRET.fullmatch(secret):
        raise InvalidInput("secret", "not a TOTP secret (32 base32 characters)")
    return secret


def provisioning_uri(secret: str, username: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(check_secret(secret)).provisioning_uri(name=username, issuer_name=ISSUER)


def kind_of(code: str, field: str = "code") -> str:
    """``"totp"`` (6 digits) or ``"recovery"`` (xxxx-xxxx-xxxx-xxxx); else InvalidInput."""
    normalized = code.strip().lower()
    if _TOTP_CODE.fullmatch(normalized):
        return "totp"
    if _RECOVERY_CODE.fullmatch(normalized):
        return "recovery"
    raise InvalidInput(field, "expected a 6-digit code or a recovery code xxxx-xxxx-xxxx-xxxx")


def totp_step(secret: str, code: str, now: datetime, after: int = -1) -> int | None:
    """The time step (RFC 6238 counter) whose code ``code`` is, within one step of drift
    of ``now`` and later than ``after`` (the last step accepted: a code is good once);
    ``None`` when it is none of them."""
    if not _BASE32_SECRET.fullmatch(secret) or not _TOTP_CODE.fullmatch(code.strip()):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if step > after and hmac.compare_digest(totp.generate_otp(step), code.strip()):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten fresh recovery codes (shown to the user once)."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(8)
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    return codes


def recovery_hash(code: str) -> str:
    """What is stored of a recovery code: the SHA-256 (hex) of its normalized form."""
    return hashlib.sha256(code.strip().lower().encode()).hexdigest()
