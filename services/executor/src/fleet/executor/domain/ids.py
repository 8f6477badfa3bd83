"""Identifiers the executor derives; types, not bare strings."""

from __future__ import annotations

import base64
import hashlib
from typing import NewType

ClientOrderId = NewType("ClientOrderId", str)
MAX_CLIENT_ORDER_ID = 40  # BingX: 1-40 characters, lower-cased by the server


def client_order_id(signal_id: str, user_id: str, leg: str) -> ClientOrderId:
    """The same (signal, user, leg) always gives the same id, so a retry or a restart can
    never place the order twice. Lower-case base32 of SHA-256: BingX lower-cases ids, so
    only a lower-case id round-trips."""
    digest = hashlib.sha256(f"{signal_id}|{user_id}|{leg}".encode()).digest()
    token = base64.b32encode(digest).decode().rstrip("=").lower()
    return ClientOrderId(f"fl{token}"[:MAX_CLIENT_ORDER_ID])
