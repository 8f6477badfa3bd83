import json

import pytest

from fleet.obs import configure_logging, get_logger, register_secret

pytestmark = pytest.mark.unit


def test_sensitive_keys_and_registered_values_never_reach_the_log(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("test", "info", "json")
    register_secret("s3cr3t-value-XYZ")
    log = get_logger()
    log.info(
        "connect",
        api_secret="plain-secret-123",
        note="the body was s3cr3t-value-XYZ",
        nested={"password": "hunter2hunter2", "user": "alice"},
    )
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["api_secret"] == "[redacted]"
    assert record["nested"] == {"password": "[redacted]", "user": "alice"}
    assert "s3cr3t-value-XYZ" not in line
    assert "plain-secret-123" not in line
    assert "hunter2hunter2" not in line
    assert record["service"] == "test"
