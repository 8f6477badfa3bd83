import pytest

from fleet.settings import ServiceSettings, SettingsError, load_settings

pytestmark = pytest.mark.unit


def test_defaults_load_without_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLEET_HTTP_PORT", raising=False)
    settings = load_settings(ServiceSettings)
    assert settings.http_host == "127.0.0.1"
    assert settings.log_level == "info"


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEET_HTTP_PORT", "8123")
    monkeypatch.setenv("FLEET_LOG_LEVEL", "debug")
    settings = load_settings(ServiceSettings)
    assert settings.http_port == 8123
    assert settings.log_level == "debug"


def test_bad_value_names_the_variable_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEET_HTTP_PORT", "not-a-port")
    with pytest.raises(SettingsError) as caught:
        load_settings(ServiceSettings)
    message = str(caught.value)
    assert "FLEET_HTTP_PORT" in message
    assert "\n" not in message


def test_a_clusters_nodes_are_read_from_one_comma_separated_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLEET_NATS_URL", "nats://a:p@10.0.0.1:4222, nats://a:p@10.0.0.2:4222")
    settings = load_settings(ServiceSettings)
    assert settings.nats_servers == ["nats://a:p@10.0.0.1:4222", "nats://a:p@10.0.0.2:4222"]
    monkeypatch.setenv("FLEET_NATS_URL", "nats://nats:4222")
    assert load_settings(ServiceSettings).nats_servers == ["nats://nats:4222"]
