"""The HTTP surface under attack: the same real processes as ``tests/api`` (auth and the
gateway on a real NATS and PostgreSQL), whose fixtures are reused from
``tests/api/conftest.py``; the gateway also serves its internal port here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from fleet.stack import free_port


def _api_fixtures() -> ModuleType:
    """``tests/api/conftest.py`` as a module (its name is the one pytest gives it)."""
    name = "tests.api.conftest"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).parents[2] / "api" / "conftest.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_api = _api_fixtures()
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
