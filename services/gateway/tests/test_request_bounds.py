"""Every value a client can send has a bound at the door: each string of a request body
a maximum length (or a fixed set of choices), each list a maximum count, each number a
maximum — read from the live OpenAPI document, so a new field cannot forget it."""

from __future__ import annotations

from typing import Any

import pytest

from fleet.gateway.main import create_app
from fleet.gateway.settings import GatewaySettings

pytestmark = pytest.mark.unit


def _unbounded(schema: dict[str, Any], defs: dict[str, Any], where: str) -> list[str]:
    if "$ref" in schema:
        return _unbounded(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, where)
    found: list[str] = []
    for option in schema.get("anyOf", []) + schema.get("allOf", []):
        found += _unbounded(option, defs, where)
    kind = schema.get("type")
    if "enum" in schema or "const" in schema:
        return found
    if kind == "string" and "maxLength" not in schema:
        found.append(where)
    if kind == "array":
        if "maxItems" not in schema:
            found.append(f"{where}[]")
        found += _unbounded(schema.get("items", {}), defs, f"{where}[]")
    if kind in {"integer", "number"} and "maximum" not in schema:
        found.append(where)
    for name, child in schema.get("properties", {}).items():
        found += _unbounded(child, defs, f"{where}.{name}")
    return found


def test_every_request_body_field_is_bounded() -> None:
    document = create_app(GatewaySettings()).openapi()
    defs = document["components"]["schemas"]
    missing: list[str] = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {})
            for media in body.values():
                missing += _unbounded(media["schema"], defs, f"{method.upper()} {path}")
    assert not missing, f"unbounded request fields: {sorted(set(missing))}"
