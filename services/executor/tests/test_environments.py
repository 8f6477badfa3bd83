"""Each trader calls the BingX his key belongs to: live or demo (VST)."""

from __future__ import annotations

from decimal import Decimal

from fleet.events.credentials import CredentialConnected, CredentialVerified
from fleet.events.directory import UserView
from fleet.executor.settings import ExecutorSettings


def connected(environment: str | None) -> CredentialConnected:
    extra = {} if environment is None else {"environment": environment}
    return CredentialConnected(
        api_key_ciphertext="vault:v1:x",
        api_key_last4="abcd",
        signing_key_version=1,
        account_type="perpetual",
        permissions=(2, 3),
        ip_addresses=(),
        balance=Decimal(100),
        **extra,
    )


def test_the_view_follows_the_connected_keys_environment() -> None:
    view, seen = UserView("u1"), []
    view.apply(connected(None))  # an event from before demo mode: live
    seen.append(view.environment)
    view.apply(connected("demo"))
    view.apply(CredentialVerified(balance=Decimal(5), permissions=(2,), ip_addresses=()))
    seen.append(view.environment)
    view.apply(connected("live"))
    seen.append(view.environment)
    assert seen == ["live", "demo", "live"] and view.credential_generation == 3


def test_each_environment_has_its_own_rest_and_ws_hosts() -> None:
    defaults = ExecutorSettings()
    assert defaults.rest_urls == {
        "live": "https://open-api.bingx.com",
        "demo": "https://open-api-vst.bingx.com",
    }
    assert defaults.user_ws_urls == {
        "live": "wss://open-api-swap.bingx.com/swap-market",
        "demo": "wss://vst-open-api-ws.bingx.com/swap-market",
    }
    sims = ExecutorSettings(
        bingx_base_url="http://127.0.0.1:8001", bingx_demo_base_url="http://127.0.0.2:8002"
    )
    assert sims.user_ws_urls == {
        "live": "ws://127.0.0.1:8001/swap-market",
        "demo": "ws://127.0.0.2:8002/swap-market",
    }
