import json

import pytest

from fleet.obs import configure_logging, correlated, get_logger

pytestmark = pytest.mark.unit


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]


def test_a_logger_is_bound_once_per_name_and_configuration(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("first", "info", "json")
    logger = get_logger()
    assert get_logger() is logger
    assert get_logger("other") is not logger
    logger.debug("dropped at info")
    with correlated("corr-1"):  # the context is merged when a line is written
        get_logger().info("kept")
    lines = _lines(capsys)
    assert [line["event"] for line in lines] == ["kept"]
    assert lines[0]["correlation_id"] == "corr-1"
    assert lines[0]["service"] == "first"

    configure_logging("second", "debug", "json")  # a new configuration: bound again
    assert get_logger() is not logger
    get_logger().debug("kept at debug")
    (line,) = _lines(capsys)
    assert line["event"] == "kept at debug"
    assert line["service"] == "second"
