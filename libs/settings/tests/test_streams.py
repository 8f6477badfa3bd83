import pytest

from fleet.settings import SettingsError, StreamSettings, load_settings

pytestmark = pytest.mark.unit

VARIABLES = (
    "FLEET_STREAM_REPLICAS",
    "FLEET_EVENT_LOG_MAX_BYTES",
    "FLEET_TELEMETRY_MAX_AGE_DAYS",
    "FLEET_TELEMETRY_MAX_BYTES",
)


def test_the_streams_limits_default_and_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    settings = load_settings(StreamSettings)
    assert settings.stream_replicas == 1
    assert settings.event_log_max_bytes == 10 * 1024**3
    assert (settings.telemetry_max_age_days, settings.telemetry_max_bytes) == (30.0, 4 * 1024**3)
    monkeypatch.setenv("FLEET_STREAM_REPLICAS", "3")
    monkeypatch.setenv("FLEET_EVENT_LOG_MAX_BYTES", "2048")
    monkeypatch.setenv("FLEET_TELEMETRY_MAX_AGE_DAYS", "7.5")
    monkeypatch.setenv("FLEET_TELEMETRY_MAX_BYTES", "1048576")
    settings = load_settings(StreamSettings)
    assert (settings.stream_replicas, settings.event_log_max_bytes) == (3, 2048)
    assert (settings.telemetry_max_age_days, settings.telemetry_max_bytes) == (7.5, 1048576)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FLEET_TELEMETRY_MAX_BYTES", "lots"),
        ("FLEET_TELEMETRY_MAX_AGE_DAYS", "0"),
        ("FLEET_EVENT_LOG_MAX_BYTES", "-1"),
        ("FLEET_STREAM_REPLICAS", "0"),
    ],
)
def test_a_bad_limit_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        load_settings(StreamSettings)
