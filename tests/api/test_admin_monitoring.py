"""Admin monitoring: the overview's columns and filters, bulk bot commands on a selection
of traders (one executor command, one bot event and one audit entry each), and the
system page (leases, partitions, last signal, order rate), and the platform's settings
changed by admins and applied without a restart."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from fleet.events import AggregateId, AggregateRef
from fleet.events.bots import BotPaused, BotStarted
from fleet.events.credentials import CredentialConnected, CredentialVerificationFailed
from fleet.events.system_settings import SYSTEM_AGGREGATE, SYSTEM_SETTINGS_ID
from fleet.events.trading import AccountValued, PositionClosed, PositionOpened
from fleet.events.users import TradingSettings
from fleet.eventstore.stream import LEASE_BUCKET
from fleet.testing.signals import price_of, publish, signal_at
from fleet.testing.waiting import until

from .test_flows import caught_up

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def extra_services() -> tuple[str, ...]:
    return ("vault", "executor")


def _connected() -> CredentialConnected:
    return CredentialConnected(
        api_key_ciphertext="vault:v1:" + "ab" * 24,
        api_key_last4="WXYZ",
        signing_key_version=1,
        account_type="perpetual",
        permissions=(1, 2),
        ip_addresses=(),
        balance=Decimal(1000),
    )


async def _lost_today(stack: "Stack", user_id: str, loss: Decimal, balance: Decimal) -> int:
    now = datetime.now(UTC)
    await stack.append(
        "account",
        user_id,
        PositionOpened(
            trade_id=f"{user_id}-t1",
            symbol="BTC-USDT",
            position_side="LONG",
            direction="long",
            quantity=Decimal(1),
            entry_price=Decimal(1000),
            leverage=5,
            opened_at=now,
        ),
        PositionClosed(
            trade_id=f"{user_id}-t1",
            symbol="BTC-USDT",
            position_side="LONG",
            quantity=Decimal(1),
            entry_price=Decimal(1000),
            exit_price=Decimal(1000) - loss,
            realised_pnl=-loss,
            closed_at=now,
            reason="stop",
        ),
    )
    return await stack.append(
        "account",
        user_id,
        AccountValued(
            balance=balance,
            equity=balance,
            available_margin=balance,
            unrealised_pnl=Decimal(0),
            valued_at=now,
        ),
    )


async def _overview(admin: "Session", only: str | None = None) -> dict[str, Any]:
    answer = await admin.get("/api/admin/overview", params={"only": only} if only else None)
    assert answer.status_code == 200, answer.text
    return {line["user_id"]: line for line in answer.json()["accounts"]}


async def test_the_overview_shows_connection_trades_today_and_filters(
    stack: "Stack", admin: "Session"
) -> None:
    failing = await stack.new_session(admin, "trader")
    paused = await stack.new_session(admin, "trader")
    losing = await stack.new_session(admin, "trader")
    at = datetime.now(UTC)
    await stack.append("cred", failing.user_id, _connected())
    await stack.append(
        "cred", failing.user_id, CredentialVerificationFailed(reason="signature mismatch")
    )
    await stack.append(
        "bot",
        paused.user_id,
        BotStarted(session_id="s-p", settings=TradingSettings(), initial_balance=1000, by="system"),
        BotPaused(reason="daily loss limit reached", by="system", automatic=True),
    )
    await stack.append("cred", losing.user_id, _connected())
    # 1000 at 00:00, 100 lost today: -10 %, over the default 5 % daily loss limit
    await caught_up(stack, await _lost_today(stack, losing.user_id, Decimal(100), Decimal(900)))

    lines = await _overview(admin)
    bad = lines[failing.user_id]
    assert bad["credential_status"] == "failed"
    assert bad["last_failure_reason"] == "signature mismatch"
    assert datetime.fromisoformat(bad["last_failure_at"]) >= at
    assert bad["environment"] == "live" and bad["over_daily_limit"] is False
    stopped = lines[paused.user_id]
    assert stopped["bot_status"] == "paused" and stopped["paused_automatically"] is True
    assert stopped["pause_reason"] == "daily loss limit reached"
    assert stopped["credential_status"] == "not_connected" and stopped["pnl_today_pct"] is None
    loser = lines[losing.user_id]
    assert (loser["trades_today"], Decimal(loser["pnl_today"])) == (1, Decimal(-100))
    assert Decimal(loser["pnl_today_pct"]) == Decimal("-10.00")
    assert loser["over_daily_limit"] is True and loser["credential_status"] == "verified"
    assert datetime.fromisoformat(loser["last_verified_at"]) >= at

    assert failing.user_id in await _overview(admin, "failing")
    assert set(await _overview(admin, "failing")).isdisjoint({paused.user_id, losing.user_id})
    assert paused.user_id in await _overview(admin, "paused")
    assert losing.user_id not in await _overview(admin, "paused")
    assert set(await _overview(admin, "over_daily_limit")) == {losing.user_id}
    wrong = await admin.get("/api/admin/overview", params={"only": "everything"})
    assert wrong.status_code == 422 and wrong.json()["error"]["details"]["field"] == "only"
    assert (await losing.get("/api/admin/overview")).status_code == 403


async def _ready_trader(stack: "Stack", admin: "Session", sim: Any) -> "Session":
    trader = await stack.new_session(admin, "trader")
    async with httpx.AsyncClient(base_url=sim.url) as http:
        keys = (await http.post("/sim/accounts", json={"balance": "10000"})).json()
    body = {"api_key": keys["apiKey"], "api_secret": keys["secretKey"]}
    assert (await trader.post("/api/bingx/connect", json=body)).status_code == 200
    saved = await trader.put("/api/settings", json={"trading_enabled": True})
    assert saved.status_code == 200, saved.text
    return trader


async def _bulk(admin: "Session", verb: str, user_ids: list[str]) -> dict[str, Any]:
    answer = await admin.post(
        f"/api/admin/bots/{verb}", json={"user_ids": user_ids, "reason": "bulk test"}
    )
    assert answer.status_code == 200, answer.text
    return {outcome["user_id"]: outcome for outcome in answer.json()["outcomes"]}


async def _audited(admin: "Session", action: str, target: str) -> list[dict[str, Any]]:
    answer = await admin.get("/api/admin/audit", params={"action": action, "target": target})
    return list(answer.json()["items"])


async def test_bulk_start_pause_stop_on_a_selection(
    stack: "Stack", admin: "Session", bingx_sim: Any
) -> None:
    one, two = (
        await _ready_trader(stack, admin, bingx_sim),
        await _ready_trader(stack, admin, bingx_sim),
    )
    viewer = await stack.new_session(admin, "viewer")
    chosen = [one.user_id, two.user_id]
    started = await _bulk(admin, "start", [*chosen, one.user_id, viewer.user_id, "nobody"])
    assert list(started) == [one.user_id, two.user_id, viewer.user_id, "nobody"]
    assert [started[u]["status"] for u in chosen] == ["active", "active"]
    assert [len(started[u]["events"]) for u in chosen] == [1, 1]  # one bot event each
    assert started[viewer.user_id]["ok"] is False and started["nobody"]["error"] == "not_found"
    for user_id in chosen:
        (entry,) = await _audited(admin, "admin.bot.start", user_id)
        assert entry["details"] == {"bulk": "true"} and entry["outcome"] == "ok"
    lines = await _overview(admin)
    assert [lines[u]["bot_status"] for u in chosen] == ["running", "running"]

    paused = await _bulk(admin, "pause", chosen)
    assert [paused[u]["status"] for u in chosen] == ["paused", "paused"]
    assert [len(paused[u]["events"]) for u in chosen] == [1, 1]
    assert set(chosen) <= set(await _overview(admin, "paused"))
    assert (await _overview(admin))[one.user_id]["pause_reason"] == "bulk test"
    stopped = await _bulk(admin, "stop", [one.user_id])
    assert stopped[one.user_id]["status"] == "stopped"
    again = await _bulk(admin, "stop", [one.user_id])  # refused by the executor, audited
    if not again[one.user_id]["ok"]:
        failed = await _audited(admin, "admin.bot.stop", one.user_id)
        assert {e["outcome"] for e in failed} == {"ok", "failed"}
    assert len(await _audited(admin, "admin.bot.pause", two.user_id)) == 1
    history = await one.get("/api/sessions")
    assert history.json()["items"][0]["status"] == "stopped"

    refused = await one.post("/api/admin/bots/start", json={"user_ids": [one.user_id]})
    assert refused.status_code == 403
    empty = await admin.post("/api/admin/bots/start", json={"user_ids": []})
    assert empty.status_code == 422 and empty.json()["error"]["details"]["field"] == "user_ids"


async def test_the_system_page_shows_leases_partitions_and_the_last_signal(
    stack: "Stack", admin: "Session", bingx_sim: Any
) -> None:
    leases = await stack.nc.jetstream().key_value(LEASE_BUCKET)
    await leases.put("strategy", b"strategy-under-test")  # as the active strategy keeps it
    signal = signal_at(await price_of(bingx_sim.url, "BTC-USDT"))
    await publish(stack.store, signal)

    answer = await admin.get("/api/admin/system")
    assert answer.status_code == 200, answer.text
    system = answer.json()
    assert system["strategy_lease"] == "strategy-under-test"
    services = {s["service"]: s for s in system["services"]}
    assert services["gateway"]["status"] == "ok" and services["gateway"]["version"]
    assert services["strategy"]["status"] == "ok"
    assert services["executor"]["status"] == "ok" and services["vault"]["status"] == "ok"
    members = system["executor_members"]
    assert members and {p["owner"] for p in system["partitions"]} <= set(members)
    assert system["partitions"], "the running executor owns its partitions"
    last = system["last_signal"]
    assert (last["symbol"], last["timeframe"]) == (signal.symbol, signal.timeframe)
    assert 0 <= last["age_s"] < 60
    assert set(system["read_model_lag"]) >= {"users", "trading", "bots"}
    rate = system["order_rate"]
    assert rate["budget_per_10s"] >= 300 and rate["orders_last_10s"] <= rate["orders_last_60s"]

    trader = await stack.new_session(admin, "trader")
    assert (await trader.get("/api/admin/system")).status_code == 403


async def _set(admin: "Session", **changes: Any) -> httpx.Response:
    return await admin.put("/api/admin/settings", json=changes)


async def test_system_settings_apply_without_a_restart(
    stack: "Stack", admin: "Session", bingx_sim: Any
) -> None:
    trader = await stack.new_session(admin, "trader")
    before = await admin.get("/api/admin/settings")
    assert before.status_code == 200, before.text
    assert before.json()["allowed_symbols"] is None  # the environment default applies

    narrowed = await _set(admin, allowed_symbols=["BTC-USDT", "ETH-USDT"], timeframes=["1h"])
    assert narrowed.status_code == 200, narrowed.text
    assert narrowed.json()["allowed_symbols"] == ["BTC-USDT", "ETH-USDT"]
    refused = await trader.put("/api/settings", json={"symbols": ["SOL-USDT"], "timeframe": "1h"})
    assert refused.status_code == 400 and refused.json()["error"]["details"]["field"] == "symbols"
    off_frame = await trader.put("/api/settings", json={"timeframe": "5m"})
    assert off_frame.json()["error"]["details"]["field"] == "timeframe"
    widened = await _set(admin, allowed_symbols=["BTC-USDT", "SOL-USDT"])
    assert widened.json()["timeframes"] == ["1h"]  # left out: kept
    # the very next request sees the new list: no restart, no cache to wait for
    taken = await trader.put("/api/settings", json={"symbols": ["SOL-USDT"], "timeframe": "1h"})
    assert taken.status_code == 200, taken.text

    egress = await _set(admin, egress_addresses=["203.0.113.9"])
    assert egress.json()["egress_addresses"] == ["203.0.113.9"]
    binder = await stack.new_session(admin, "trader")
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        keys = (await http.post("/sim/accounts", json={"balance": "100"})).json()
    body = {"api_key": keys["apiKey"], "api_secret": keys["secretKey"]}
    connected = await binder.post("/api/bingx/connect", json=body)
    assert connected.status_code == 200, connected.text
    assert any("203.0.113.9" in warning for warning in connected.json()["warnings"])

    bad_bodies: tuple[dict[str, list[str]], ...] = (
        {"allowed_symbols": ["btc"]},
        {"allowed_symbols": []},
        {"timeframes": ["7m"]},
        {"egress_addresses": ["not-an-address"]},
        {"reset": ["everything"]},
    )
    for bad in bad_bodies:
        answer = await _set(admin, **bad)
        assert answer.status_code == 422, (bad, answer.text)
        named = answer.json()["error"]["details"]["field"]  # e.g. allowed_symbols.0
        assert named.split(".")[0] == next(iter(bad)), (bad, named)
    twice = await _set(admin, allowed_symbols=["BTC-USDT", "BTC-USDT"])
    assert twice.status_code == 400 and "twice" in twice.json()["error"]["message"]

    reset = await _set(admin, reset=["allowed_symbols", "timeframes", "egress_addresses"])
    assert reset.status_code == 200, reset.text
    assert [reset.json()[k] for k in ("allowed_symbols", "timeframes", "egress_addresses")] == [
        None,
        None,
        None,
    ]
    last = await stack.store.last(
        AggregateRef(type=SYSTEM_AGGREGATE, id=AggregateId(SYSTEM_SETTINGS_ID))
    )
    assert last is not None and last.type == "system.settings_changed"
    entries = await admin.get("/api/admin/audit", params={"action": "admin.settings.update"})
    details = [entry["details"] for entry in entries.json()["items"]]
    assert {"allowed_symbols": "BTC-USDT,SOL-USDT"} in details
    assert (await trader.get("/api/admin/settings")).status_code == 403
    assert (await trader.put("/api/admin/settings", json={"timeframes": ["1h"]})).status_code == 403


async def test_a_plan_limits_settings_and_entries_at_once_and_is_audited(
    stack: "Stack", admin: "Session", bingx_sim: Any
) -> None:
    """A plan limiting leverage to 3 and symbols to one: the settings API refuses leverage 5
    naming the plan, and an entry on the other symbol is skipped naming it."""
    trader = await _ready_trader(stack, admin, bingx_sim)
    mine = {"symbols": ["BTC-USDT", "ETH-USDT"], "leverage": 3}
    assert (await trader.put("/api/settings", json=mine)).status_code == 200
    assert (await trader.post("/api/bot/start")).status_code == 200
    starter = {"name": "Starter", "price": "9.90", "symbols": ["BTC-USDT"], "max_leverage": 3}
    defined = await admin.put("/api/admin/plans", json=starter)
    assert defined.status_code == 200, defined.text
    assigned = await admin.put(
        f"/api/admin/users/{trader.user_id}/plan", json={"plan_name": "Starter"}
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["members"][trader.user_id] == "Starter"

    refused = await trader.put("/api/settings", json={"leverage": 5})
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["details"]["field"] == "leverage"
    assert error["message"] == "leverage: the 'Starter' plan allows at most 3x"

    signal = signal_at(await price_of(bingx_sim.url, "ETH-USDT"), symbol="ETH-USDT")
    signal_id = await publish(stack.store, signal)
    skipped = await until(lambda: _decision(trader, signal_id))
    assert skipped["code"] == "plan"
    assert skipped["reason"] == "skipped: ETH-USDT is not in the 'Starter' plan (allowed: BTC-USDT)"
    entries = await _audited(admin, "admin.plans.assign", trader.user_id)
    assert entries and entries[0]["details"] == {"plan": "Starter"}
    unknown = await admin.put(f"/api/admin/users/{trader.user_id}/plan", json={"plan_name": "Gold"})
    assert unknown.status_code == 404 and "Gold" in unknown.json()["error"]["message"]
    assert (await trader.get("/api/admin/plans")).status_code == 403


async def _decision(trader: "Session", signal_id: str) -> dict[str, Any] | None:
    for item in (await trader.get("/api/decisions")).json()["items"]:
        if item["signal_id"] == signal_id:
            return dict(item)
    return None


async def test_branding_changes_the_page_title_and_accent(stack: "Stack", admin: "Session") -> None:
    before = await admin.get("/")
    assert "<title>Fleet</title>" in before.text  # the environment's default
    branded = await _set(admin, product_name="Acme Trading", accent_colour="#0a7f5a")
    assert branded.status_code == 200, branded.text
    assert branded.json()["product_name"] == "Acme Trading"
    page = await admin.get("/")
    assert "<title>Acme Trading</title>" in page.text and "Fleet" not in page.text
    assert "--accent: #0a7f5a" in (await admin.get("/brand.css")).text
    bad = await _set(admin, accent_colour="red")
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "accent_colour"
    reset = await _set(admin, reset=["product_name", "accent_colour"])
    assert reset.status_code == 200, reset.text
    assert "<title>Fleet</title>" in (await admin.get("/")).text
