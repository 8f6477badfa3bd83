"""The account behind a signed request, or BingX's refusal (§2.7, §7)."""

from __future__ import annotations

import time

from fastapi import Request
from fastapi.responses import JSONResponse

from fleet.bingx_sim.domain.accounts import READ, Account, SimError
from fleet.bingx_sim.domain.signatures import verify
from fleet.bingx_sim.state import SimState


def error(code: int, message: str, status: int = 200) -> JSONResponse:
    """BingX's error envelope."""
    body = {"code": code, "msg": message, "timestamp": int(time.time() * 1000)}
    return JSONResponse(body, status_code=status)


async def signed_account(request: Request, state: SimState) -> Account:
    """Check key, IP whitelist, signature, timestamp and read permission."""
    account = state.accounts.by_key.get(request.headers.get("X-BX-APIKEY", ""))
    if account is None:
        raise SimError(100413, "Incorrect apiKey, please check your valid api key")
    client_ip = request.client.host if request.client else ""
    if account.ip_addresses and client_ip not in account.ip_addresses:
        raise SimError(100419, "IP does not match IP whitelist")
    body = (await request.body()).decode()
    # Freshness is judged on the wall clock, as BingX does: the simulated clock is the
    # market's (it may run 60x faster) and has nothing to do with request signing.
    refusal = verify(
        raw_query(request), body, account.secret, int(time.time() * 1000), strict=state.strict
    )
    if refusal is not None:
        raise SimError(refusal.code, refusal.message)
    state.limits.check(
        request.scope["path"], request.method, client_ip, account.uid, int(time.time() * 1000)
    )
    if READ not in account.permissions:
        raise SimError(100004, "Permission denied, the API key was created without read permission")
    if state.faults.rate_limit_storm > 0:
        state.faults.rate_limit_storm -= 1
        raise SimError(100410, "rate limit exceeded")
    return account


def raw_query(request: Request) -> str:
    """The query string as sent (percent-encoded): what the signature covers. Read from
    the ASGI scope: ``request.url`` parses and rebuilds the whole URL first."""
    return bytes(request.scope["query_string"]).decode()


def params_of(request: Request, body: str = "") -> dict[str, str]:
    """Query and form-body parameters (query wins), percent-decoded."""
    from urllib.parse import parse_qsl

    values = dict(parse_qsl(body, keep_blank_values=True))
    values.update(parse_qsl(raw_query(request), keep_blank_values=True))
    values.pop("signature", None)
    return values
