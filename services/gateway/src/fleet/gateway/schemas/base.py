"""Shapes shared by every endpoint: the one error body, pages, plain acknowledgements."""

from __future__ import annotations

import re
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, field_validator

ItemT = TypeVar("ItemT")

# Ids in paths are log aggregate ids: letters, digits, '-' and '_' (NATS subject tokens).
ID_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"
# Free text in a query string: no control characters (PostgreSQL refuses NUL anyway).
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"


DECIMAL_TEXT = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,12})?")


def strict_decimal(value: Any) -> Any:
    """A request decimal: a string of ASCII digits (at most 12 before and 12 after the
    point, no exponent) or a JSON integer; never a boolean or a float."""
    if isinstance(value, bool | float):
        raise ValueError('must be a decimal string like "2.5"')
    if isinstance(value, int):
        return value
    if not isinstance(value, str) or not DECIMAL_TEXT.fullmatch(value):
        raise ValueError('must be a decimal string of ASCII digits like "2.5"')
    return value


def document_decimal_text(schema: dict[str, Any], fields: tuple[str, ...]) -> None:
    """Document the text form of request decimals (what ``strict_decimal`` accepts)."""
    for name in fields:
        pending = [schema["properties"][name]]
        while pending:
            node = pending.pop()
            pending += node.get("anyOf", [])
            if node.get("type") == "string":
                node["pattern"] = f"^{DECIMAL_TEXT.pattern}$"
                node["maxLength"] = 26


def _no_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if isinstance(value, list | tuple):
        for item in value:
            _no_nul(item)
    return value


class ApiModel(BaseModel):
    """Base of every request and response body: unknown fields are refused, and no
    string may carry a NUL character (PostgreSQL text cannot hold one)."""

    model_config = ConfigDict(extra="forbid")

    _reject_nul = field_validator("*")(_no_nul)


# an id inside a request body (a list of them): the same rule, with its length stated
IdItem = Annotated[str, Field(pattern=ID_PATTERN, min_length=1, max_length=128)]
IdPath = Annotated[str, Path(pattern=ID_PATTERN, examples=["0193a5b0-c1d2-7e3f-8a9b-0c1d2e3f4a5b"])]


class ErrorDetail(ApiModel):
    code: str = Field(examples=["invalid"])
    message: str = Field(examples=["username: String should have at least 3 characters"])
    details: dict[str, Any] = Field(default_factory=dict, examples=[{"field": "username"}])


class ErrorResponse(BaseModel):
    """Every error the API answers with."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"error": {"code": "not_found", "message": "not found", "details": {}}}]
        }
    )

    error: ErrorDetail
    success: bool | None = Field(default=None, description="Only on /api/bingx/* answers.")


class Page(BaseModel, Generic[ItemT]):
    """One page of a longer list."""

    items: list[ItemT]
    total: int = Field(ge=0, examples=[42])
    limit: int = Field(ge=1, examples=[50])
    offset: int = Field(ge=0, examples=[0])


class Done(ApiModel):
    """An accepted request with nothing else to say."""

    status: str = Field(examples=["ok"])
    message: str = Field(default="", examples=["logged out"])


class LivenessOut(BaseModel):
    """The public health answer: up or not, nothing else."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: Literal["ok", "fail"]


ERROR_STATUSES = (400, 401, 403, 404, 409, 422, 423, 429, 503)
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in (
        (400, "Bad input (the field is named in details.field)"),
        (401, "Not signed in"),
        (403, "Forbidden action, or a missing CSRF token"),
        (404, "Not found, or not yours to see"),
        (409, "Conflict (e.g. a username already taken)"),
        (422, "The request does not match the schema"),
        (423, "Locked after too many failed logins"),
        (429, "Too many attempts: retry after the Retry-After header"),
        (503, "A service the gateway needs did not answer"),
    )
}
