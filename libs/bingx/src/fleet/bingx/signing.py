"""Signing exactly as BingX does it (API.md §2).

The signed string is the request's parameters sorted by name, ``k=v`` joined by ``&``,
with **raw** values (JSON values such as ``stopLoss`` as their compact JSON text);
on the wire only the values are percent-encoded. The signature is the lowercase hex
HMAC-SHA256 of that string with the secret key, sent as the ``signature`` parameter.

Who holds the secret is pluggable (:class:`Signer`): a local HMAC for tests and tools, or
the vault service for executors, so the client itself never needs the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol
from urllib.parse import quote

ParamValue = str | int | float | Decimal | bool | dict[str, object] | list[object]


@dataclass(frozen=True)
class Signature:
    """What a signer returns: the hex signature and the ``X-BX-APIKEY`` header value."""

    signature: str
    api_key: str = field(repr=False)


class Signer(Protocol):
    """Signs the exact string a request will carry."""

    async def sign(self, payload: str) -> Signature:
        """Lowercase hex HMAC-SHA256 of ``payload`` plus the API key to send."""
        ...


class LocalHmacSigner:
    """Holds a key pair in memory: for tests, the simulator's tools and one-off checks."""

    def __init__(self, api_key: str, secret_key: str) -> None:
        self._api_key = api_key
        self._secret = secret_key.encode()

    def __repr__(self) -> str:
        return f"LocalHmacSigner(api_key=...{self._api_key[-4:]})"

    async def sign(self, payload: str) -> Signature:
        digest = hmac.new(self._secret, payload.encode(), hashlib.sha256).hexdigest()
        return Signature(digest, self._api_key)


def render(value: ParamValue) -> str:
    """A parameter value as BingX signs it: JSON compactly, booleans lower-case,
    decimals without exponent."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return _json(value)
    if isinstance(value, Decimal):
        return _decimal_text(value)
    return str(value)


def _decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _json(value: dict[str, object] | list[object]) -> str:
    """Compact JSON in which a Decimal is a JSON number written with its exact decimal
    text (``"stopPrice":59873.1``), as BingX's own examples send it: never through a
    float, so the number on the wire is the one rounded to the tick."""
    exact: list[str] = []

    def number(item: object) -> object:
        if isinstance(item, Decimal):
            exact.append(_decimal_text(item))
            return f"\x00{len(exact) - 1}\x00"
        raise TypeError(f"cannot render {type(item).__name__} in a BingX JSON parameter")

    text = json.dumps(value, separators=(",", ":"), default=number)
    for index, digits in enumerate(exact):
        text = text.replace(f'"\\u0000{index}\\u0000"', digits, 1)
    return text


def payload(params: Mapping[str, ParamValue]) -> str:
    """The string that is signed: sorted ``k=v`` pairs with raw values."""
    return "&".join(f"{key}={render(params[key])}" for key in sorted(params))


def query(params: Mapping[str, ParamValue], signature: str | None = None) -> str:
    """The query string sent on the wire: same order, values percent-encoded."""
    parts = [f"{key}={quote(render(params[key]), safe='')}" for key in sorted(params)]
    if signature is not None:
        parts.append(f"signature={signature}")
    return "&".join(parts)
