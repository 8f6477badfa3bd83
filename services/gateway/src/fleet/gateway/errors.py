"""The gateway's one error root, its one JSON shape, and the one mapping of service
reply codes to HTTP statuses.

Every error a client sees is ``{"error": {"code", "message", "details"}}``. Bad input
names the field; nothing a client can send produces a stack trace or a 500.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from fleet.events.commands import CommandReply
from fleet.events.errors import FleetError
from fleet.obs import count_unexpected, get_logger

PayloadT = TypeVar("PayloadT")

# How a service's refusal reaches the client (CommandReply error codes).
REPLY_STATUS: dict[str, int] = {
    "invalid": 400,
    "not_found": 404,
    "conflict": 409,
    "forbidden": 403,
    "unauthenticated": 401,
    "locked": 423,
    "throttled": 429,
    "unavailable": 503,
}
_HTTP_CODES: dict[int, str] = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    423: "locked",
    429: "throttled",
    503: "unavailable",
}


_LOCATIONS = ("body", "query", "path", "header", "cookie")
MAX_PROBLEMS = 10  # a body with 600k bad keys gets a short answer
MAX_FIELD_TEXT = 200


class GatewayError(FleetError):
    """Root of every error the gateway answers with; carries its HTTP status."""

    error_code = "gateway"

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}
        self.extra: dict[str, Any] = {}  # top-level fields beside "error" (e.g. "success")


def invalid(field: str, message: str) -> GatewayError:
    """Bad input that passed the schema (e.g. a role that makes no sense here)."""
    return GatewayError(400, "invalid", message, {"field": field})


def not_found(message: str = "not found") -> GatewayError:
    """The same answer for missing and for not-yours."""
    return GatewayError(404, "not_found", message)


def from_reply(reply: CommandReply) -> GatewayError:
    """The HTTP error for a refused command (``reply.ok`` is false)."""
    error = reply.error
    if error is None:
        return GatewayError(503, "unavailable", "the service gave no reason")
    details = dict(error.details)
    headers: dict[str, str] = {}
    if error.code == "throttled":
        retry = _retry_after(details.get("retry_after_s"))
        headers["Retry-After"] = str(retry)
        details["retry_after_s"] = retry
    return GatewayError(
        REPLY_STATUS.get(error.code, 503), error.code, error.message, details, headers=headers
    )


def check(reply: CommandReply, answer: type[PayloadT]) -> PayloadT:
    """The reply's payload read as ``answer``, or the mapped error raised (a payload that
    does not fit is the service's fault: ``unavailable``)."""
    if not reply.ok:
        raise from_reply(reply)
    try:
        return reply.typed(answer).payload()
    except ValueError as exc:  # pydantic's ValidationError is one
        raise GatewayError(503, "unavailable", "the service gave an unreadable answer") from exc


def _retry_after(value: Any) -> int:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return 1
    return max(1, int(seconds + 0.999))


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The one error shape."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception to the one shape, once, at the edge."""
    app.add_exception_handler(GatewayError, _gateway_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(Exception, _unexpected)


async def _gateway_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GatewayError)
    body = error_body(exc.code, exc.message, exc.details) | exc.extra
    return JSONResponse(body, exc.status, headers=exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    problems = [_problem(error) for error in errors[:MAX_PROBLEMS]]
    first = problems[0] if problems else {"field": "body", "message": "invalid request"}
    message = f"{first['field']}: {first['message']}"
    details = {"field": first["field"], "problems": problems, "count": len(errors)}
    return JSONResponse(error_body("invalid", message, details), 422)


def _problem(error: Any) -> dict[str, str]:
    location = [str(part) for part in error.get("loc", ())]
    if location and location[0] in _LOCATIONS:
        location = location[1:]  # "max_positions", not "body.max_positions"
    field = ".".join(location)[:MAX_FIELD_TEXT] or "body"
    # never echo the rejected value (it may be a password or a secret): pydantic's
    # messages name the rule, not the input, and so must every validator's own
    return {"field": field, "message": str(error.get("msg", "invalid"))[:MAX_FIELD_TEXT]}


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    return JSONResponse(
        error_body(code, str(exc.detail)), exc.status_code, headers=dict(exc.headers or {})
    )


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    # e.g. PostgreSQL restarted: the pool drops the dead connection, the client retries
    get_logger("fleet.gateway").warning(
        "database error", path=request.url.path, error=type(exc).__name__
    )
    return JSONResponse(error_body("unavailable", "the read-model database is unavailable"), 503)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    count_unexpected("gateway.request")
    get_logger("fleet.gateway").error(
        "unexpected error", path=request.url.path, error=type(exc).__name__
    )
    return JSONResponse(error_body("internal", "internal error; it has been logged"), 500)
