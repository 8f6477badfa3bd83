"""Served over https (``FLEET_COOKIE_SECURE=true``, the prod overlay's setting): both
cookies are ``Secure`` and every answer carries HSTS; and no answer of the gateway or of
a service's health port names its server (no ``server: uvicorn`` banner).

The gateway here runs as a process exactly as in production (``python -m fleet.gateway``),
only behind no TLS terminator: the cookies' flags and the headers are what is checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from tests.api.conftest import PASSWORD

if TYPE_CHECKING:
    from tests.api.conftest import Stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def gateway_env() -> dict[str, str]:
    return {"FLEET_COOKIE_SECURE": "true", "FLEET_HSTS_MAX_AGE_S": "63072000"}


async def test_cookies_are_secure_and_hsts_is_sent_over_https(stack: Stack) -> None:
    http = stack.client()
    answer = await http.post("/api/auth/login", json={"username": "root", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    cookies = answer.headers.get_list("set-cookie")
    assert {c.split("=", 1)[0] for c in cookies} == {"fleet_session", "fleet_csrf"}
    assert all("; secure" in c.lower() for c in cookies), cookies
    for response in (answer, await http.get("/healthz"), await http.get("/api/nothing-here")):
        hsts = response.headers.get("strict-transport-security")
        assert hsts == "max-age=63072000; includeSubDomains", response.headers


async def test_no_answer_names_its_server(stack: Stack) -> None:
    http = stack.client()
    answers = [
        await http.get("/healthz"),
        await http.get("/api/nothing-here"),
        await http.post("/api/auth/login", json={"username": "root", "password": "wrong!"}),
    ]
    async with httpx.AsyncClient() as plain:
        for name, process in stack.processes.items():
            if name != "gateway":
                answers.append(await plain.get(f"{process.url}/healthz"))
    assert len(answers) >= 4
    for answer in answers:
        assert "server" not in answer.headers, (answer.url, answer.headers)
