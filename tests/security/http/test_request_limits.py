"""Findings 2 and 6: a body too large is refused before it is read, a decimal has places
and a magnitude, and a refusal is short and never echoes what was sent."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.integration


async def _stored_messages(stack: Stack) -> int:
    info = await stack.nc.jetstream().stream_info(stack.store._spec.name)
    return int(info.state.messages)


async def _healthz_meanwhile(stack: Stack, done: asyncio.Event) -> list[tuple[int, float]]:
    answers: list[tuple[int, float]] = []
    http = stack.client()
    while not done.is_set() or not answers:
        started = time.perf_counter()
        answer = await http.get("/healthz")
        answers.append((answer.status_code, time.perf_counter() - started))
        await asyncio.sleep(0.01)
    return answers


async def test_a_7_mb_body_is_refused_with_413_while_healthz_answers(stack: Stack) -> None:
    body = json.dumps({f"k{i}": i for i in range(600_000)}).encode()
    assert len(body) > 7_000_000
    done = asyncio.Event()
    probe = asyncio.create_task(_healthz_meanwhile(stack, done))
    http = stack.client()
    started = time.perf_counter()
    answer = await http.post(
        "/api/auth/login", content=body, headers={"Content-Type": "application/json"}
    )
    elapsed = time.perf_counter() - started
    done.set()
    probes = await probe
    print(f"7 MB body -> {answer.status_code} in {elapsed * 1000:.1f} ms; healthz {probes}")
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "too_large"
    assert len(answer.content) < 1000
    assert probes and all(status == 200 for status, _ in probes)


async def test_a_chunked_body_too_large_is_refused(stack: Stack) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(200):
            yield b" " * 4096

    http = stack.client()
    answer = await http.post(
        "/api/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 413


async def test_a_huge_header_is_refused(stack: Stack) -> None:
    http = stack.client()
    try:
        answer = await http.get("/healthz", headers={"X-Padding": "a" * 200_000})
    except httpx.HTTPError:
        return  # the connection was closed on it: refused
    assert answer.status_code in {400, 413, 431}


async def test_a_900000_digit_decimal_is_refused_and_nothing_appended(
    stack: Stack, admin: Session
) -> None:
    trader = await stack.new_session(admin, "trader")
    before = await _stored_messages(stack)
    huge = "5." + "0" * 900_000 + "1"
    answer = await trader.put("/api/settings", json={"risk_per_trade": huge})
    assert answer.status_code in {413, 422}, answer.status_code
    assert len(answer.content) < 5000
    assert "000000" not in answer.text
    assert await _stored_messages(stack) == before


@pytest.mark.parametrize("value", ["5.123", "1e1", "0.1E+1", "\u0663", "Infinity"])
async def test_a_settings_decimal_beyond_the_ui_places_is_refused(
    stack: Stack, admin: Session, value: str
) -> None:
    trader = await stack.new_session(admin, "trader")
    answer = await trader.put("/api/settings", json={"risk_per_trade": value})
    assert answer.status_code == 422, answer.text
    assert value not in answer.text


async def test_validation_errors_are_capped_and_never_echo_input(stack: Stack) -> None:
    http = stack.client()
    secret = "s3cr3t-value-never-echoed"
    body = {f"unknown_{i}": secret for i in range(500)} | {"username": 7, "password": [secret]}
    answer = await http.post("/api/auth/login", json=body)
    assert answer.status_code == 422
    assert secret not in answer.text
    error = answer.json()["error"]
    assert len(error["details"]["problems"]) <= 10
    assert '"input"' not in answer.text
    assert all(set(problem) == {"field", "message"} for problem in error["details"]["problems"])


async def test_the_symbols_error_does_not_echo_the_value(stack: Stack, admin: Session) -> None:
    trader = await stack.new_session(admin, "trader")
    answer = await trader.put("/api/settings", json={"symbols": ["EVIL<script>-USDT"]})
    assert answer.status_code == 422
    assert "EVIL" not in answer.text and "script" not in answer.text
