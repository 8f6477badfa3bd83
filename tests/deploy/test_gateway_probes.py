"""The gateway's ``/livez`` and ``/readyz``: status only, ready only when its health report
passes, and outside the API's schema (they name no policy action)."""

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from fleet.gateway.probes import install_probes

pytestmark = pytest.mark.unit


@dataclass
class FixedHealth:
    healthy: bool

    async def report(self) -> tuple[bool, dict[str, Any]]:
        return self.healthy, {"checks": {"postgres": "detail never shown"}}


@dataclass
class FakeServices:
    health: FixedHealth


def probed(services: FakeServices | None) -> TestClient:
    app = FastAPI()
    install_probes(app)
    if services is not None:
        app.state.services = services
    return TestClient(app)


def test_livez_answers_without_asking_any_dependency() -> None:
    assert probed(None).get("/livez").status_code == 200


@pytest.mark.parametrize(
    ("services", "code", "status"),
    [
        (None, 503, "starting"),
        (FakeServices(FixedHealth(healthy=True)), 200, "ok"),
        (FakeServices(FixedHealth(healthy=False)), 503, "fail"),
    ],
)
def test_readyz_follows_the_health_report_without_detail(
    services: FakeServices | None, code: int, status: str
) -> None:
    answer = probed(services).get("/readyz")
    assert (answer.status_code, answer.json()) == (code, {"status": status})


def test_probes_stay_out_of_the_api_schema() -> None:
    app = FastAPI()
    install_probes(app)
    assert "/livez" not in app.openapi()["paths"] and "/readyz" not in app.openapi()["paths"]
