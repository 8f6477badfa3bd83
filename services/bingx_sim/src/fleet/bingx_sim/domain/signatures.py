"""Verifying a signed request as API.md §2.7 recommends, independent of any client."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60000
MAX_AHEAD_MS = 1000  # strict: a timestamp further in the future is refused (API.md §2.2)


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


def verify(
    raw_query: str, raw_body: str, secret: str, now_ms: int, *, strict: bool = False
) -> Refusal | None:
    """``None`` when the signature and timestamp are right, else BingX's refusal. Strict:
    the signature must be lowercase hex, and the timestamp at most 1 s ahead."""
    query, query_sig = strip_signature(raw_query)
    body, body_sig = strip_signature(raw_body)
    signature = query_sig or body_sig
    if not signature:
        return Refusal(100412, "Null signature")
    params = dict(parse_qsl(query, keep_blank_values=True)) | dict(
        parse_qsl(body, keep_blank_values=True)
    )
    refusal = _timestamp_refusal(params, now_ms, MAX_AHEAD_MS if strict else None)
    if refusal is not None:
        return refusal
    if strict and signature != signature.lower():
        return Refusal(100001, "Signature verification failed")
    candidates = [unquote(query), unquote(body), unquote(query) + unquote(body)]
    for candidate in candidates:
        if candidate and hmac.compare_digest(_hmac(secret, candidate), signature.lower()):
            return None
    return Refusal(100001, "Signature verification failed")


def _timestamp_refusal(
    params: dict[str, str], now_ms: int, max_ahead_ms: int | None
) -> Refusal | None:
    try:
        timestamp = int(params["timestamp"])
        window = int(params.get("recvWindow", DEFAULT_RECV_WINDOW))
    except (KeyError, ValueError):
        return Refusal(100421, "Null timestamp or timestamp mismatch")
    ahead = max_ahead_ms is not None and timestamp - now_ms > max_ahead_ms
    if not 0 < window <= MAX_RECV_WINDOW or now_ms - timestamp > window or ahead:
        return Refusal(100421, "Null timestamp or timestamp mismatch, please check the timestamp")
    return None


def _hmac(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()
