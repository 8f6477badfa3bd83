"""The HTTP surface under attack: the same real processes as ``tests/api`` (auth and the
gateway on a real NATS and PostgreSQL), whose fixtures are reused from
``tests/api/conftest.py``; the gateway also serves its internal port here."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet.stack import free_port
from fleet.testing.modules import conftest_module

_api = conftest_module(Path(__file__).parents[2] / "api" / "conftest.py")
stack = _api.stack
admin = _api.admin
gateway_workers = _api.gateway_workers
extra_services = _api.extra_services


@pytest.fixture(scope="module")
def internal_port() -> int:
    """The gateway's internal port (detailed health, metrics), loopback only."""
    return free_port()


@pytest.fixture(scope="module")
def gateway_env(internal_port: int) -> dict[str, str]:
    return {"FLEET_GATEWAY_INTERNAL_PORT": str(internal_port)}
