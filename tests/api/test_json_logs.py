"""Every line the gateway and the auth service (a FastStream service) write is one JSON
object, without ANSI colours: Fleet's own lines, the gateway's per-request lines and
uvicorn's own error lines (a request that is not HTTP), FastStream's and nats-py's."""

import asyncio
import json
from pathlib import Path

import pytest

from .conftest import Stack

pytestmark = pytest.mark.integration


def lines_of(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.strip()]


async def not_http(base_url: str) -> None:
    """Bytes that are no HTTP request: uvicorn answers 400 and logs a warning itself."""
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"\x16\x03\x01 this is not HTTP\r\n\r\n")
    await writer.drain()
    await reader.read()
    writer.close()


async def test_every_line_of_the_gateway_and_auth_is_json(stack: Stack) -> None:
    http = stack.client()
    assert (await http.get("/healthz")).status_code in (200, 503)
    assert (await http.get("/api/no-such-route")).status_code == 404
    assert (await http.post("/api/auth/login", content=b"{not json")).status_code < 500
    await not_http(stack.base_url)
    await asyncio.sleep(0.5)  # the lines reach the files

    gateway_loggers: set[str] = set()
    for name in ("gateway", "auth"):
        lines = lines_of(stack.logs[name])
        assert lines, f"{name} wrote nothing"
        for line in lines:
            assert "\x1b[" not in line, f"{name}: colours in {line!r}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                raise AssertionError(f"{name}: not JSON: {line!r}") from None
            assert isinstance(record, dict) and "event" in record and "level" in record, line
            if name == "gateway":
                gateway_loggers.add(str(record.get("logger", "fleet")))
    # the request that was not HTTP was logged by uvicorn itself, through the same renderer
    assert any(name.startswith("uvicorn") for name in gateway_loggers), gateway_loggers
