"""Who may use the ``/sim/`` admin API: anyone on a loopback-bound simulator (dev and
tests), otherwise only a caller sending ``Authorization: Bearer <FLEET_SIM_ADMIN_TOKEN>``
(no token set on a non-loopback bind: every admin call is refused). When the token is
set it is required on loopback too."""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Callable

from fastapi import HTTPException, Request

TOKEN_VARIABLE = "FLEET_SIM_ADMIN_TOKEN"  # noqa: S105 - the variable's name


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def admin_guard(host: str, token: str | None = None) -> Callable[[Request], None]:
    """The dependency guarding ``/sim/*`` for a simulator bound to ``host``."""
    expected = token if token is not None else os.environ.get(TOKEN_VARIABLE, "")
    open_to_all = not expected and _loopback(host)

    def guard(request: Request) -> None:
        if open_to_all:
            return
        scheme, _, sent = request.headers.get("authorization", "").partition(" ")
        if (
            not expected
            or scheme.lower() != "bearer"
            or not hmac.compare_digest(sent.strip().encode(), expected.encode())
        ):
            raise HTTPException(401, f"the /sim admin API needs Bearer {TOKEN_VARIABLE}")

    return guard
