"""The ``/sim/`` admin API needs a token unless the simulator is bound to loopback."""

from __future__ import annotations

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from fleet.bingx_sim.api.admin_auth import admin_guard

pytestmark = pytest.mark.unit


def _client(host: str, token: str) -> TestClient:
    app = FastAPI()

    @app.get("/sim/clock", dependencies=[Depends(admin_guard(host, token))])
    def clock() -> dict[str, int]:
        return {"now": 1}

    return TestClient(app)


def test_loopback_without_a_token_is_open() -> None:
    assert _client("127.0.0.1", "").get("/sim/clock").status_code == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "sim.example"])
def test_another_bind_without_a_token_refuses_everyone(host: str) -> None:
    assert _client(host, "").get("/sim/clock").status_code == 401


@pytest.mark.parametrize("host", ["0.0.0.0", "127.0.0.1"])
def test_with_a_token_only_its_bearer_passes(host: str) -> None:
    client = _client(host, "s3cret-admin")
    assert client.get("/sim/clock").status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert client.get("/sim/clock", headers=wrong).status_code == 401
    right = {"Authorization": "Bearer s3cret-admin"}
    assert client.get("/sim/clock", headers=right).status_code == 200
