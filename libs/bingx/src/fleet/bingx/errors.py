"""BingX error codes as typed exceptions, grouped by what the caller must do (§3.3)."""

from __future__ import annotations

import re
import time

from fleet.events.errors import FleetError


class BingxError(FleetError):
    """Root of every BingX error; ``code`` is BingX's, ``http_status`` the HTTP one."""

    error_code = "bingx"

    def __init__(self, message: str, code: int | None = None, http_status: int = 200) -> None:
        super().__init__(f"{message} (code {code})" if code is not None else message)
        self.code = code
        self.http_status = http_status
        self.bingx_message = message


class Rejected(BingxError):
    """BingX refused the request; sending it again unchanged will be refused again."""

    error_code = "bingx_rejected"


class Retryable(BingxError):
    """A passing condition (busy, rate limit, network); safe to retry reads, and writes
    only when they are idempotent (a clientOrderID)."""

    error_code = "bingx_retryable"


class MalformedAnswer(BingxError):
    """BingX answered something this client cannot read (a missing field, a wrong type): a
    read learnt nothing; a write's outcome is unknown (resolve it by query)."""

    error_code = "bingx_malformed_answer"


class AuthError(Rejected):
    """Bad key, bad signature, missing permission, IP not whitelisted."""

    error_code = "bingx_auth"


class TimestampError(Retryable):
    """``timestamp`` outside ``recvWindow``: resync the clock and retry."""

    error_code = "bingx_timestamp"


class RateLimited(Retryable):
    """Over a per-UID or per-IP limit. ``cool_down_s`` > 0 when the whole egress address
    must pause (an HTTP 429 / 418 / 403 answer, API.md §3.2), not just this request."""

    error_code = "bingx_rate_limited"

    def __init__(
        self,
        message: str,
        code: int | None = None,
        http_status: int = 200,
        cool_down_s: float = 0.0,
    ) -> None:
        super().__init__(message, code, http_status)
        self.cool_down_s = cool_down_s


class Banned(RateLimited):
    """The egress address is banned (HTTP 418 after ignoring 429s, or a 403 firewall rule,
    usually for 5 minutes): nothing may be sent from it until the cool-down ends."""

    error_code = "bingx_banned"


class InsufficientMargin(Rejected):
    """Not enough margin for the order."""

    error_code = "bingx_insufficient_margin"


class InvalidSymbol(Rejected):
    """No such contract."""

    error_code = "bingx_invalid_symbol"


class InvalidParameter(Rejected):
    """A parameter BingX does not accept (quantity, side for the position mode, ...)."""

    error_code = "bingx_invalid_parameter"


class DuplicateClientOrderId(Rejected):
    """An order with this clientOrderID already exists (101481), or the same order was
    submitted twice within a second (109201): query it and adopt it, never re-send."""

    error_code = "bingx_duplicate_client_order_id"


class ListenKeyGone(Rejected):
    """The listenKey is unknown or expired (HTTP 404 on keep-alive): create a new one."""

    error_code = "bingx_listen_key_gone"


class OrderNotFound(Rejected):
    """No such order."""

    error_code = "bingx_order_not_found"


class UnknownOutcome(Retryable):
    """No answer for a write (timeout, connection lost, HTTP 504): it may have executed.
    Resolve by querying the clientOrderID before anything else."""

    error_code = "bingx_unknown_outcome"


_BY_CODE: dict[int, type[BingxError]] = {
    100001: AuthError,
    100412: AuthError,
    100413: AuthError,
    100419: AuthError,
    100004: AuthError,
    100421: TimestampError,
    100410: RateLimited,
    101204: InsufficientMargin,
    109425: InvalidSymbol,
    101481: DuplicateClientOrderId,
    109201: DuplicateClientOrderId,
    109429: RateLimited,
    80016: OrderNotFound,
    109421: OrderNotFound,
    109414: OrderNotFound,
    80014: InvalidParameter,
    109400: InvalidParameter,
    100400: InvalidParameter,
    101400: InvalidParameter,
    101414: InvalidParameter,
    100500: Retryable,
    80012: Retryable,
    110500: Retryable,
    109500: Retryable,
}

# Seconds the whole egress address pauses after a bare HTTP refusal (API.md §3.2, §7: 429
# then 418 if one keeps going; a 403 is a firewall rule, "usually a 5-minute ban").
COOL_DOWN_S = {429: 10.0, 418: 300.0, 403: 300.0}


def refusal_for(http_status: int, path: str) -> BingxError | None:
    """The error of an answer whose HTTP status alone refuses it (no JSON body to read)."""
    if http_status == 429:
        return RateLimited(f"HTTP 429 on {path}", None, 429, COOL_DOWN_S[429])
    if http_status in (418, 403):
        return Banned(f"HTTP {http_status} on {path}", None, http_status, COOL_DOWN_S[418])
    return None


# BingX's 100410 ("rate limit exceeded", §7) may be the address's or the user's window; its
# text sometimes names when the "disabled period" ends ("... unblocked after 1767225600000").
# Sending on would only earn a 429 and then a ban, so the whole egress address pauses: until
# that time when given (at most 5 minutes, BingX's reset), else for one second (the per-UID
# windows are per second; Fleet's own budget keeps it under the 10-second IP windows).
RATE_CODE = 100410
RATE_CODE_COOL_DOWN_S = 1.0
MAX_COOL_DOWN_S = 300.0
_EPOCH_MS = re.compile(r"\b(1\d{12})\b")


def rate_code_cool_down(message: str, now_ms: int | None = None) -> float:
    """Seconds to pause after a 100410 answer whose text is ``message``."""
    found = _EPOCH_MS.search(message)
    if found is None:
        return RATE_CODE_COOL_DOWN_S
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    return min(MAX_COOL_DOWN_S, max(1.0, (int(found.group(1)) - now) / 1000))


def error_for(code: int, message: str, http_status: int = 200) -> BingxError:
    """The typed exception for a BingX error code (unknown codes are :class:`Rejected`)."""
    if http_status == 429:
        return RateLimited(message, code, http_status, COOL_DOWN_S[429])
    if code == RATE_CODE:
        return RateLimited(message, code, http_status, rate_code_cool_down(message))
    return _BY_CODE.get(code, Rejected)(message, code, http_status)
