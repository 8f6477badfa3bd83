"""Which swap WebSocket goes with a REST base URL (API.md's host table)."""

from __future__ import annotations

import pytest

from fleet.bingx.ws import DEMO_REST_URL, LIVE_REST_URL, swap_ws_url


@pytest.mark.parametrize(
    ("rest", "ws"),
    [
        (LIVE_REST_URL, "wss://open-api-swap.bingx.com/swap-market"),
        (DEMO_REST_URL, "wss://vst-open-api-ws.bingx.com/swap-market"),
        ("https://open-api-vst.bingx.com/", "wss://vst-open-api-ws.bingx.com/swap-market"),
        ("http://127.0.0.1:8123", "ws://127.0.0.1:8123/swap-market"),
        ("https://sim.example:8443/", "wss://sim.example:8443/swap-market"),
    ],
)
def test_the_ws_host_of_each_rest_host(rest: str, ws: str) -> None:
    assert swap_ws_url(rest) == ws


def test_an_override_wins() -> None:
    assert swap_ws_url(DEMO_REST_URL, "ws://127.0.0.1:9/x") == "ws://127.0.0.1:9/x"
