"""Probes that mean something, on a real executor process: ``/livez`` stays 200 while NATS
is down (a NATS outage must not restart pods), ``/readyz`` says 503 quickly, and SIGTERM
with NATS down ends the process within the pod's grace period."""

import asyncio
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fleet.eventstore import ensure_domain_stream
from fleet.stack import NatsServer
from fleet.testing.services import ServiceProcess

pytestmark = pytest.mark.integration
# terminationGracePeriodSeconds of every Deployment in deploy/k8s (checked there).
GRACE_PERIOD_S = 30


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "nats")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def status(url: str) -> int:
    try:
        return httpx.get(url, timeout=3).status_code
    except httpx.HTTPError:
        return 0


async def wait_for_status(url: str, expected: int, timeout: float = 20.0) -> int:
    answer = status(url)
    for _ in range(int(timeout / 0.2)):
        if answer == expected:
            break
        await asyncio.sleep(0.2)
        answer = status(url)
    return answer


def assert_every_line_is_json(log: str) -> None:
    """One JSON object per line, whichever library logged it (uvicorn, FastStream, nats-py,
    Fleet), no colour codes, a traceback inside its line."""
    lines = [line for line in log.splitlines() if line.strip()]
    assert lines
    for line in lines:
        assert "\x1b[" not in line, line
        record = json.loads(line)
        assert {"event", "level", "timestamp"} <= set(record), line
    loggers = {json.loads(line).get("logger") for line in lines}
    print(f"\nJSON log lines: {len(lines)}, from loggers {sorted(str(n) for n in loggers)}")


async def test_executor_probes_and_stop_with_nats_down(
    own_nats: NatsServer, tmp_path: Path
) -> None:
    await ensure_domain_stream(own_nats.admin_url)
    env = {
        **own_nats.env_for("executor"),
        "FLEET_BINGX_BASE_URL": "http://127.0.0.1:9",
        "FLEET_LOG_FORMAT": "json",
    }
    executor = ServiceProcess("executor", env, tmp_path).start()
    try:
        assert status(f"{executor.url}/livez") == 200
        assert status(f"{executor.url}/readyz") == 200
        own_nats.stop()
        assert await wait_for_status(f"{executor.url}/readyz", 503) == 503
        assert status(f"{executor.url}/livez") == 200
        proc = executor.process.proc
        assert proc is not None
        started = time.monotonic()
        os.kill(proc.pid, signal.SIGTERM)
        try:
            code = proc.wait(GRACE_PERIOD_S)
        except subprocess.TimeoutExpired:
            code = None
        print(f"\nexecutor stop with NATS down: {time.monotonic() - started:.1f} s")
        assert code is not None, f"still running after {GRACE_PERIOD_S} s: {executor.log()[-800:]}"
        assert_every_line_is_json(executor.log())
    finally:
        executor.kill()
