"""Verifying a signed request as API.md §2.7 recommends, independent of any client."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60000


@dataclass(frozen=True)
class Refusal:
    code: int
    message: str


def strip_signature(raw: str) -> tuple[str, str | None]:
    """``(raw params without &signature=…, signature)``."""
    kept, signature = [], None
    for part in raw.split("&"):
        if part.startswith("signature="):
            signature = part.removeprefix("signature=")
        elif part:
            kept.append(part)
    return "&".join(kept), signature


def verify(raw_query: str, raw_body: str, secret: str, now_ms: int) -> Refusal | None:
    """``None`` when the signature and timestamp are right, else BingX's refusal."""
    query, query_sig = strip_signature(raw_query)
    body, body_sig = strip_signature(raw_body)
    signature = query_sig or body_sig
    if not signature:
        return Refusal(100412, "Null signature")
    params = dict(parse_qsl(query, keep_blank_values=True)) | dict(
        parse_qsl(body, keep_blank_values=True)
    )
    refusal = _timestamp_refusal(params, now_ms)
    if refusal is not None:
        return refusal
    candidates = [unquote(query), unquote(body), unquote(query) + unquote(body)]
    for candidate in candidates:
        if candidate and hmac.compare_digest(_hmac(secret, candidate), signature.lower()):
            return None
    return Refusal(100001, "Signature verification failed")


def _timestamp_refusal(params: dict[str, str], now_ms: int) -> Refusal | None:
    try:
        timestamp = int(params["timestamp"])
        window = int(params.get("recvWindow", DEFAULT_RECV_WINDOW))
    except (KeyError, ValueError):
        return Refusal(100421, "Null timestamp or timestamp mismatch")
    if not 0 < window <= MAX_RECV_WINDOW or now_ms - timestamp > window:
        return Refusal(100421, "Null timestamp or timestamp mismatch, please check the timestamp")
    return None


def _hmac(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()
