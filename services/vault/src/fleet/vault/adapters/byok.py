"""Bring-your-own-key import format of the transit engine (``/transit/keys/:name/import``).

The target key (the BingX secret) is wrapped with an ephemeral AES-256 key (AES-KWP,
RFC 5649), and that ephemeral key with the transit wrapping key (RSA-OAEP, SHA-256).
Only Vault can unwrap it; the plaintext exists in this process for the one connect call.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from fleet.vault.errors import KeyRefused

# Transit refuses HMAC keys under 32 bytes. HMAC zero-pads a short key to its block size
# anyway, so padding here leaves every signature unchanged (tested with short secrets).
MIN_HMAC_KEY = 32


def wrap_for_import(secret: bytes, wrapping_key_pem: str) -> str:
    """The base64 ``ciphertext`` Vault's import endpoint expects for ``secret``."""
    public_key = serialization.load_pem_public_key(wrapping_key_pem.encode())
    if not isinstance(public_key, RSAPublicKey):
        raise KeyRefused("the transit wrapping key is not an RSA key")
    ephemeral = os.urandom(32)
    target = secret.ljust(MIN_HMAC_KEY, b"\0")
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    wrapped = public_key.encrypt(ephemeral, oaep) + aes_key_wrap_with_padding(ephemeral, target)
    return base64.b64encode(wrapped).decode()
