"""Accounts under attack: the real auth service and gateway (and vault where a module asks
for it), whose fixtures are reused from ``tests/api/conftest.py``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


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
def auth_env() -> dict[str, str]:
    """Refusals written every second; five in a window alert the admins."""
    return {"FLEET_LOGIN_AUDIT_WINDOW_S": "1", "FLEET_LOGIN_ALERT_THRESHOLD": "5"}
