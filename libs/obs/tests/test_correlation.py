import asyncio
import json
import logging

import pytest

from fleet.obs import configure_logging, correlated, current_correlation_id, get_logger

pytestmark = pytest.mark.unit


def records(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]


async def test_the_bound_id_reaches_every_line_and_the_tasks_started_inside(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("test", "info", "json")

    async def order() -> str | None:
        get_logger().info("order placed")
        return current_correlation_id()

    with correlated("sig-1"):
        get_logger().info("signal received")
        logging.getLogger("faststream.broker").warning("stdlib line")
        passed_on = await asyncio.create_task(order())
    get_logger().info("after")

    lines = {str(r["event"]): r.get("correlation_id") for r in records(capsys)}
    assert lines == {
        "signal received": "sig-1",
        "stdlib line": "sig-1",
        "order placed": "sig-1",
        "after": None,
    }
    assert passed_on == "sig-1"
    assert current_correlation_id() is None


def test_no_id_binds_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("test", "info", "json")
    with correlated(None):
        get_logger().info("plain")
    assert "correlation_id" not in records(capsys)[-1]
