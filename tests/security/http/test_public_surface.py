"""Findings 7 and 12: what the public port shows. Liveness without detail, no metrics,
no foreign ``Host`` reflected, ``no-store`` on every answer, docs with local assets only
under a CSP, and strict types in request bodies."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.integration


async def test_public_healthz_is_liveness_without_detail(stack: Stack) -> None:
    answer = await stack.client().get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


async def test_metrics_are_not_on_the_public_port(stack: Stack, internal_port: int) -> None:
    answer = await stack.client().get("/metrics")
    assert answer.status_code == 404
    assert "fleet_gateway" not in answer.text
    async with httpx.AsyncClient(timeout=10) as http:
        internal = await http.get(f"http://127.0.0.1:{internal_port}/metrics")
    assert internal.status_code == 200
    assert "fleet_gateway_requests_total" in internal.text


async def test_a_foreign_host_is_refused_and_never_reflected(stack: Stack, admin: Session) -> None:
    for path in ("/api/tokens/", "/api/auth/me", "/healthz"):
        answer = await admin.get(path, headers={"Host": "evil.com"}, follow_redirects=False)
        assert answer.status_code == 400, (path, answer.status_code)
        assert "evil.com" not in answer.text
        assert "evil.com" not in answer.headers.get("location", "")


async def test_a_trailing_slash_is_not_redirected(stack: Stack, admin: Session) -> None:
    answer = await admin.get("/api/tokens/", follow_redirects=False)
    assert answer.status_code == 404
    assert "location" not in answer.headers


@pytest.mark.parametrize("path", ["/api/auth/me", "/healthz", "/openapi.json", "/api/nothing"])
async def test_every_api_answer_is_no_store(stack: Stack, admin: Session, path: str) -> None:
    answer = await admin.get(path)
    assert answer.headers.get("cache-control") == "no-store", (path, answer.headers)


async def test_login_answer_is_no_store(stack: Stack, admin: Session) -> None:
    assert stack.admin is not None
    answer = await stack.client().post(
        "/api/auth/login", json={"username": stack.admin.username, "password": "wrong"}
    )
    assert answer.headers.get("cache-control") == "no-store"


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_docs_load_nothing_from_another_host(stack: Stack, path: str) -> None:
    http = stack.client()
    answer = await http.get(path)
    assert answer.status_code == 200
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", answer.text), answer.text
    csp = answer.headers.get("content-security-policy", "")
    assert "default-src 'self'" in csp
    for asset in re.findall(r"(?:src|href)=[\"']([^\"']+)[\"']", answer.text):
        if asset.startswith("/"):
            assert (await http.get(asset)).status_code == 200, asset


@pytest.mark.parametrize(
    "body",
    [
        {"trading_enabled": "yes"},
        {"trading_enabled": 1},
        {"leverage": True},
        {"leverage": "5"},
        {"max_positions": "\u0663"},
        {"leverage": 5.0},
        {"risk_per_trade": True},
        {"risk_per_trade": "\u0661"},
    ],
)
async def test_types_are_strict(stack: Stack, admin: Session, body: dict[str, Any]) -> None:
    trader = await stack.new_session(admin, "trader")
    answer = await trader.put("/api/settings", json=body)
    assert answer.status_code == 422, (body, answer.text)


async def test_a_settings_change_is_audited(stack: Stack, admin: Session) -> None:
    trader = await stack.new_session(admin, "trader")
    assert (await trader.put("/api/settings", json={"leverage": 3})).status_code == 200
    audit = await admin.get(
        "/api/admin/audit", params={"actor": trader.user_id, "action": "settings.update"}
    )
    assert audit.status_code == 200
    assert audit.json()["total"] >= 1


async def test_a_forbidden_change_is_audited(stack: Stack, admin: Session) -> None:
    viewer = await stack.new_session(admin, "viewer")
    assert (await viewer.put("/api/settings", json={"leverage": 3})).status_code == 403
    query = {"actor": viewer.user_id, "action": "access.denied"}
    for _ in range(50):  # the audit read model follows the log
        audit = await admin.get("/api/admin/audit", params=query)
        if audit.json()["total"]:
            break
        await asyncio.sleep(0.1)
    assert audit.json()["total"] >= 1
    assert audit.json()["items"][0]["outcome"] == "denied"
