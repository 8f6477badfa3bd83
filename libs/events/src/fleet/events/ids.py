"""Identifiers every service shares, declared once: a user, a personal access token, and
the prefix that marks a token on the wire (the auth service mints it, the gateway checks
it before any lookup)."""

from __future__ import annotations

from typing import Literal, NewType

UserId = NewType("UserId", str)
TokenId = NewType("TokenId", str)
Scope = Literal["read", "write", "admin"]  # what a personal access token may do

TOKEN_PREFIX = "flt_"  # noqa: S105 - a prefix, not a secret
