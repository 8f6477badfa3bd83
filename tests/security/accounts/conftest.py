"""Accounts under attack: the real auth service and gateway (and vault where a module asks
for it), whose fixtures are reused from ``tests/api/conftest.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet.testing.modules import conftest_module

_api = conftest_module(Path(__file__).parents[2] / "api" / "conftest.py")
stack = _api.stack
admin = _api.admin
gateway_workers = _api.gateway_workers
extra_services = _api.extra_services


@pytest.fixture(scope="module")
def auth_env() -> dict[str, str]:
    """Refusals written every second; five in a window alert the admins."""
    return {"FLEET_LOGIN_AUDIT_WINDOW_S": "1", "FLEET_LOGIN_ALERT_THRESHOLD": "5"}
