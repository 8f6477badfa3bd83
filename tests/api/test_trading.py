"""A trader's BingX connection and bot through the HTTP API, with the real vault (OpenBao,
the BingX simulator) and the real executor: connect refused then verified, test,
start/pause/resume/stop, an admin's actions audited, kill switch, disconnect, and the
BingX secret nowhere: not in an answer, not in a log line of any service."""

from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def extra_services() -> tuple[str, ...]:
    return ("vault", "executor")


async def simulator_keys(bingx_sim: Any, permissions: list[str]) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        answer = await http.post(
            "/sim/accounts", json={"balance": "2500", "permissions": permissions}
        )
        return dict(answer.json())


async def test_connect_trade_and_disconnect(
    stack: "Stack", admin: "Session", bingx_sim: Any
) -> None:
    trader = await stack.new_session(admin, "trader")
    keys = await simulator_keys(bingx_sim, ["read", "trade"])
    secret, api_key = keys["secretKey"], keys["apiKey"]

    wrong = await trader.post(
        "/api/bingx/connect", json={"api_key": api_key, "api_secret": "Wrong" + secret[5:]}
    )
    assert wrong.status_code == 400, wrong.text
    assert wrong.json()["success"] is False and wrong.json()["error"]["code"] == "invalid"
    assert (await trader.get("/api/status")).json()["credential"]["status"] == "not_connected"

    connected = await trader.post(
        "/api/bingx/connect", json={"api_key": api_key, "api_secret": secret}
    )
    assert connected.status_code == 200, connected.text
    body = connected.json()
    assert body["success"] and body["api_key_last4"] == api_key[-4:]
    assert body["balance"].startswith("2500")
    status = (await trader.get("/api/status")).json()
    assert status["credential"]["status"] == "verified"
    assert status["credential"]["api_key_last4"] == api_key[-4:]
    tested = await trader.post("/api/bingx/test")
    assert tested.status_code == 200 and tested.json()["success"], tested.text

    refused = await trader.post("/api/bot/start")
    assert refused.status_code == 409, refused.text  # trading is not enabled yet
    await trader.put("/api/settings", json={"trading_enabled": True})
    started = await trader.post("/api/bot/start")
    assert started.status_code == 200, started.text
    assert (await trader.get("/api/status")).json()["bot"]["status"] == "running"
    assert (await trader.post("/api/bot/pause")).status_code == 200
    assert (await trader.get("/api/status")).json()["bot"]["status"] == "paused"
    assert (await trader.post("/api/bot/resume")).status_code == 200

    by_admin = await admin.post(
        f"/api/admin/users/{trader.user_id}/bot/pause", json={"reason": "risk review"}
    )
    assert by_admin.status_code == 200, by_admin.text
    bot = (await trader.get("/api/status")).json()["bot"]
    assert (bot["status"], bot["pause_reason"]) == ("paused", "risk review")
    killed = await admin.post("/api/admin/kill-switch", json={"reason": "drill"})
    assert killed.status_code == 200, killed.text
    audit = await admin.get("/api/admin/audit", params={"target": trader.user_id})
    actions = {entry["action"] for entry in audit.json()["items"]}
    assert {"admin.bot.pause", "bot.paused", "bingx.connect", "credential.connected"} <= actions

    stopped = await trader.post("/api/bot/stop")
    assert stopped.status_code == 200, stopped.text
    sessions = (await trader.get("/api/sessions")).json()
    assert sessions["total"] == 1 and sessions["items"][0]["status"] == "stopped"
    gone = await trader.post("/api/bingx/disconnect")
    assert gone.status_code == 200 and gone.json()["success"], gone.text
    status = (await trader.get("/api/status")).json()
    assert status["credential"]["status"] == "disconnected"
    assert status["credential"]["api_key_last4"] is None
    again = await trader.post("/api/bingx/test")
    assert again.status_code == 404 and again.json()["success"] is False

    assert (
        await admin.post("/api/bingx/connect", json={"api_key": "a", "api_secret": "b"})
    ).status_code == 403  # no own BingX connection for an admin

    logged, answers = stack.logged(), "\n".join(stack.answers)
    assert "cmd.vault.connect" in logged  # vault's log is part of the scan
    for value in (secret, api_key):
        assert value not in logged, "a BingX key is in a service log"
        assert value not in answers, "a BingX key is in an answer"
