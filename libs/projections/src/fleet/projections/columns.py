"""Columns that follow the event field they hold: the event schema is the contract, so a
text column is exactly as wide as its field's ``max_length`` and an address column is
PostgreSQL ``inet``. Each column remembers its source (``column.info["source"]``) so a
test can check every projection against the events (a column never narrower than its
field: the ``value too long`` that stops a projection for good cannot happen)."""

from __future__ import annotations

import ipaddress
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Column, Dialect, String
from sqlalchemy.dialects.postgresql import INET
from sqlalchemy.types import TypeDecorator

SOURCE = "source"


def field_bound(model: type[BaseModel], field: str) -> int:
    """The most characters ``model.field`` may hold (its ``max_length``, or the longest
    of its literal choices); ``ValueError`` if the field is unbounded."""
    schema = model.model_json_schema()
    found = _bound(schema["properties"][field], schema.get("$defs", {}))
    if found is None:
        raise ValueError(f"{model.__name__}.{field} has no maximum length")
    return found


def _bound(schema: dict[str, Any], defs: dict[str, Any]) -> int | None:
    if "$ref" in schema:
        return _bound(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "maxLength" in schema:
        return int(schema["maxLength"])
    if "enum" in schema or "const" in schema:
        return max(len(str(v)) for v in schema.get("enum", [schema.get("const")]))
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    bounds = [_bound(option, defs) for option in options]
    return None if not bounds or None in bounds else max(b for b in bounds if b is not None)


def text_column(name: str, model: type[BaseModel], field: str, **kwargs: Any) -> Column[str]:
    """A ``varchar`` as wide as ``model.field`` allows."""
    return Column(name, String(field_bound(model, field)), info={SOURCE: (model, field)}, **kwargs)


class IpAddress(TypeDecorator[str]):
    """PostgreSQL ``inet``, read and written as text; "" (no address) is NULL."""

    impl = INET
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> Any:
        try:
            return ipaddress.ip_address(value) if value else None
        except ValueError:  # never stop a projection: an unreadable address is unknown
            return None

    def process_result_value(self, value: Any, dialect: Dialect) -> str:
        return "" if value is None else str(value)


def ip_column(name: str, model: type[BaseModel], field: str, **kwargs: Any) -> Column[str]:
    """An ``inet`` column for an address field of ``model`` (bounded like an IP)."""
    field_bound(model, field)  # an address field must be bounded too
    return Column(name, IpAddress(), info={SOURCE: (model, field)}, **kwargs)
