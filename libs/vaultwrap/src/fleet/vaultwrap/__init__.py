"""The BingX secret wrapped for Vault transit's bring-your-own-key import
(``/transit/keys/:name/import``), done where the secret enters Fleet (the gateway's
connect request), so that only OpenBao can ever open it.

The target key (the secret) is wrapped with an ephemeral AES-256 key (AES-KWP, RFC 5649),
and that ephemeral key with transit's public wrapping key (RSA-OAEP, SHA-256). The
wrapping key is named by :func:`wrapping_key_id`, so the vault service can tell a
ciphertext made with a key Vault no longer has (a rebuilt Vault) from a wrong secret.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from fleet.events.errors import FleetError

__all__ = [
    "BINGX_KEY",
    "MIN_HMAC_KEY",
    "NotAWrappingKey",
    "WrappingKey",
    "wrap_for_import",
    "wrapping_key_id",
]

# What a BingX API key and a BingX secret look like: checked before the secret is wrapped
# (the gateway) and on the API key (the vault service), the one rule for both.
BINGX_KEY = re.compile(r"^[A-Za-z0-9]{16,128}$")

# Transit refuses HMAC keys under 32 bytes. HMAC zero-pads a short key to its block size
# anyway, so padding here leaves every signature unchanged (tested with short secrets).
MIN_HMAC_KEY = 32


class NotAWrappingKey(FleetError, ValueError):
    """The PEM given is not an RSA public key (not transit's wrapping key)."""

    error_code = "not_a_wrapping_key"


def _rsa_public_key(wrapping_key_pem: str) -> RSAPublicKey:
    try:
        public_key = serialization.load_pem_public_key(wrapping_key_pem.encode())
    except ValueError as exc:
        raise NotAWrappingKey("the transit wrapping key is not a PEM public key") from exc
    if not isinstance(public_key, RSAPublicKey):
        raise NotAWrappingKey("the transit wrapping key is not an RSA key")
    return public_key


def wrapping_key_id(wrapping_key_pem: str) -> str:
    """The wrapping key's name: SHA-256 (hex) of its DER SubjectPublicKeyInfo."""
    der = _rsa_public_key(wrapping_key_pem).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def wrap_for_import(secret: bytes, wrapping_key_pem: str) -> str:
    """The base64 ``ciphertext`` transit's import endpoint expects for ``secret`` as an
    HMAC key (zero-padded to :data:`MIN_HMAC_KEY` bytes)."""
    public_key = _rsa_public_key(wrapping_key_pem)
    ephemeral = os.urandom(32)
    target = secret.ljust(MIN_HMAC_KEY, b"\0")
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    wrapped = public_key.encrypt(ephemeral, oaep) + aes_key_wrap_with_padding(ephemeral, target)
    return base64.b64encode(wrapped).decode()


@dataclass(frozen=True)
class WrappingKey:
    """Transit's public wrapping key and its id (a public key: safe to keep and to send)."""

    public_key_pem: str
    key_id: str

    @classmethod
    def from_pem(cls, public_key_pem: str) -> WrappingKey:
        """The key of a PEM (raises :class:`NotAWrappingKey` if it is not an RSA key)."""
        return cls(public_key_pem, wrapping_key_id(public_key_pem))

    def wrap(self, secret: str) -> str:
        """``secret`` wrapped for import (see :func:`wrap_for_import`)."""
        return wrap_for_import(secret.encode(), self.public_key_pem)
