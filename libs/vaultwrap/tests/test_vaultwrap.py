"""The wrap is exactly what transit's import opens: unwrapped here with the private half."""

import base64

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap_with_padding

from fleet.vaultwrap import BINGX_KEY, MIN_HMAC_KEY, NotAWrappingKey, WrappingKey

pytestmark = pytest.mark.unit
PRIVATE = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = (
    PRIVATE.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


def unwrap(ciphertext: str) -> bytes:
    raw = base64.b64decode(ciphertext)
    size = PRIVATE.key_size // 8
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    ephemeral = PRIVATE.decrypt(raw[:size], oaep)
    return aes_key_unwrap_with_padding(ephemeral, raw[size:])


def test_the_private_half_opens_the_secret_padded_to_an_hmac_key() -> None:
    key = WrappingKey.from_pem(PEM)
    short, long = "Short0123456789ab", "L" * 100
    assert unwrap(key.wrap(short)) == short.encode().ljust(MIN_HMAC_KEY, b"\0")
    assert unwrap(key.wrap(long)) == long.encode()
    assert key.wrap(short) != key.wrap(short)  # a fresh ephemeral key each time
    assert short not in key.wrap(short)


def test_the_key_id_names_the_key() -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    other_pem = other.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    assert WrappingKey.from_pem(PEM).key_id == WrappingKey.from_pem(PEM + "\n").key_id
    assert WrappingKey.from_pem(PEM).key_id != WrappingKey.from_pem(other_pem).key_id
    assert len(WrappingKey.from_pem(PEM).key_id) == 64


def test_anything_but_an_rsa_public_key_is_refused() -> None:
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    for pem in ("not a key", ec_pem):
        with pytest.raises(NotAWrappingKey):
            WrappingKey.from_pem(pem)


def test_the_shape_of_a_bingx_key() -> None:
    assert BINGX_KEY.match("a" * 16) and BINGX_KEY.match("Z9" * 64)
    for bad in ("a" * 15, "a" * 129, "abc def 0123456789", "é" * 20):
        assert not BINGX_KEY.match(bad)
