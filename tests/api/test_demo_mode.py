"""Demo mode per connection: one platform, a live trader and a demo (BingX VST) trader.
Two simulators on two loopback addresses stand for BingX's two hosts; each trader's key
exists only on his own, his orders land only there, and his status says which it is."""

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from fleet.stack import SimulatorServer
from fleet.stack.process import StackError
from fleet.testing.waiting import until

from .test_signal_flow import _signal

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def extra_services() -> tuple[str, ...]:
    return ("vault", "executor")


@pytest.fixture(scope="module")
def gateway_env() -> dict[str, str]:
    return {"FLEET_BINGX_SIMULATED": "true"}  # as fleet up sets it: the badge says SIMULATOR


@pytest.fixture(scope="module")
def bingx_demo_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorServer]:
    """BingX VST's stand-in, on another loopback address than the live one."""
    simulator = SimulatorServer(Path(tmp_path_factory.mktemp("bingx-vst")), host="127.0.0.2")
    try:
        simulator.start()
    except StackError as exc:
        simulator.stop()
        pytest.fail(f"the demo simulator did not start: {exc}")
    yield simulator
    simulator.stop()


async def _trader_on(
    stack: "Stack", admin: "Session", sim: Any, environment: str | None
) -> tuple["Session", str]:
    trader = await stack.new_session(admin, "trader")
    async with httpx.AsyncClient(base_url=sim.url) as http:
        keys = (await http.post("/sim/accounts", json={"balance": "10000"})).json()
    body = {"api_key": keys["apiKey"], "api_secret": keys["secretKey"]}
    if environment is not None:
        body["environment"] = environment
    answer = await trader.post("/api/bingx/connect", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["environment"] == (environment or "live")
    saved = await trader.put("/api/settings", json={"trading_enabled": True, "leverage": 10})
    assert saved.status_code == 200, saved.text
    assert (await trader.post("/api/bot/start")).status_code == 200
    return trader, keys["apiKey"]


async def _orders_of(sim: Any, api_key: str) -> list[Any]:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        answer = await http.get(f"/sim/accounts/{api_key}")
    return list(answer.json().get("orders") or ()) if answer.is_success else []


async def test_a_live_and_a_demo_trader_each_trade_on_their_own_bingx(
    stack: "Stack", admin: "Session", bingx_sim: Any, bingx_demo_sim: SimulatorServer
) -> None:
    # a demo key is unknown to live BingX: connecting it as live is refused
    stranger = await stack.new_session(admin, "trader")
    async with httpx.AsyncClient(base_url=bingx_demo_sim.url) as http:
        keys = (await http.post("/sim/accounts", json={"balance": "10000"})).json()
    refused = await stranger.post(
        "/api/bingx/connect", json={"api_key": keys["apiKey"], "api_secret": keys["secretKey"]}
    )
    assert refused.status_code == 400, refused.text
    bad = await stranger.post(
        "/api/bingx/connect",
        json={"api_key": keys["apiKey"], "api_secret": keys["secretKey"], "environment": "paper"},
    )
    assert bad.status_code == 422, bad.text

    live, live_key = await _trader_on(stack, admin, bingx_sim, None)
    demo, demo_key = await _trader_on(stack, admin, bingx_demo_sim, "demo")
    for trader, environment in ((live, "live"), (demo, "demo")):
        status = (await trader.get("/api/status")).json()
        assert status["environment"] == status["credential"]["environment"] == environment
        assert status["simulated"] is True
    overview = (await admin.get("/api/admin/overview")).json()
    lines = {line["user_id"]: line for line in overview["accounts"]}
    assert overview["simulated"] is True
    assert lines[live.user_id]["environment"] == "live"
    assert lines[demo.user_id]["environment"] == "demo"
    assert lines[stranger.user_id]["environment"] is None  # no key, no environment

    # a running bot keeps its environment: a live key for the demo trader is refused first
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        other = (await http.post("/sim/accounts", json={"balance": "10000"})).json()
    switch = await demo.post(
        "/api/bingx/connect",
        json={"api_key": other["apiKey"], "api_secret": other["secretKey"], "environment": "live"},
    )
    assert switch.status_code == 400 and switch.json()["success"] is False, switch.text
    assert switch.json()["error"]["details"]["field"] == "environment"

    await _signal(stack, bingx_sim)  # both simulators price BTC alike
    for trader in (live, demo):
        await until(lambda trader=trader: _positions(trader))
    assert await _orders_of(bingx_sim, live_key)
    assert await _orders_of(bingx_demo_sim, demo_key)
    # and nothing crossed over: each key exists on its own simulator only
    assert not await _orders_of(bingx_sim, demo_key)
    assert not await _orders_of(bingx_demo_sim, live_key)


async def _positions(trader: "Session") -> list[dict[str, Any]]:
    return list((await trader.get("/api/positions")).json())
