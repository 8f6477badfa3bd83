"""BingX error codes as typed exceptions, grouped by what the caller must do (§3.3)."""

from __future__ import annotations


class BingxError(Exception):
    """Root of every BingX error; ``code`` is BingX's, ``http_status`` the HTTP one."""

    def __init__(self, message: str, code: int | None = None, http_status: int = 200) -> None:
        super().__init__(f"{message} (code {code})" if code is not None else message)
        self.code = code
        self.http_status = http_status
        self.bingx_message = message


class Rejected(BingxError):
    """BingX refused the request; sending it again unchanged will be refused again."""


class Retryable(BingxError):
    """A passing condition (busy, rate limit, network); safe to retry reads, and writes
    only when they are idempotent (a clientOrderID)."""


class AuthError(Rejected):
    """Bad key, bad signature, missing permission, IP not whitelisted."""


class TimestampError(Retryable):
    """``timestamp`` outside ``recvWindow``: resync the clock and retry."""


class RateLimited(Retryable):
    """Over a per-UID or per-IP limit."""


class InsufficientMargin(Rejected):
    """Not enough margin for the order."""


class InvalidSymbol(Rejected):
    """No such contract."""


class InvalidParameter(Rejected):
    """A parameter BingX does not accept (quantity, side for the position mode, ...)."""


class DuplicateClientOrderId(Rejected):
    """An order with this clientOrderID already exists: query it, never re-send."""


class OrderNotFound(Rejected):
    """No such order."""


class UnknownOutcome(Retryable):
    """No answer for a write (timeout, connection lost, HTTP 504): it may have executed.
    Resolve by querying the clientOrderID before anything else."""


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
}


def error_for(code: int, message: str, http_status: int = 200) -> BingxError:
    """The typed exception for a BingX error code (unknown codes are :class:`Rejected`)."""
    if http_status == 429:
        return RateLimited(message, code, http_status)
    return _BY_CODE.get(code, Rejected)(message, code, http_status)
