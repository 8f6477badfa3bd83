"""``fleet up`` gives a Vault token to the vault service only, as a file, and no service
inherits Vault credentials from the operator's shell (unit test with stand-in servers)."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fleet.cli.platform import Platform, PlatformOptions
from fleet.cli.state import Part

pytestmark = pytest.mark.unit


@dataclass
class StandIn:
    """Just what ``Platform`` reads from its servers."""

    token_file: Path | None
    addr: str = "http://127.0.0.1:1"

    def env_for(self, user: str) -> dict[str, str]:
        return {"FLEET_NATS_URL": f"nats://{user}@127.0.0.1:1"}

    def url(self, database: str) -> str:
        return f"postgresql://127.0.0.1:1/{database}"

    def vault_service_token(self) -> str:
        return "service-token-value"

    def vault_service_token_file(self) -> Path | None:
        return self.token_file


def platform(token_file: Path | None) -> Platform:
    servers: Any = StandIn(token_file)
    stack = Platform(PlatformOptions(Path("/nonexistent")), servers, servers, servers)
    stack.parts["bingx_sim"] = Part(url="http://127.0.0.1:2")
    return stack


@pytest.mark.parametrize("leaked", ["FLEET_VAULT_TOKEN", "VAULT_TOKEN", "BAO_TOKEN"])
def test_only_vault_gets_a_vault_token(monkeypatch: pytest.MonkeyPatch, leaked: str) -> None:
    monkeypatch.setenv(leaked, "token-from-the-operators-shell")
    stack = platform(Path("/data/openbao/vault-service-token"))
    for service in ("auth", "strategy", "executor", "gateway"):
        env = stack._env(service, 1)
        assert not [name for name in env if "VAULT" in name or name.startswith("BAO_")], service
    vault = stack._env("vault", 1)
    assert vault["FLEET_VAULT_TOKEN_FILE"] == "/data/openbao/vault-service-token"
    assert "FLEET_VAULT_TOKEN" not in vault and leaked not in vault
    assert "token-from-the-operators-shell" not in vault.values()


def test_dev_openbao_passes_the_token_itself() -> None:
    assert platform(None)._env("vault", 1)["FLEET_VAULT_TOKEN"] == "service-token-value"
