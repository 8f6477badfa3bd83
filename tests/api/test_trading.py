"""A trader's BingX connection and bot through the HTTP API, with the real vault (OpenBao,
the BingX simulator) and the real executor: connect refused then verified, test,
start/pause/resume/stop, an admin's actions audited, kill switch, disconnect, and the
BingX secret nowhere: not in an answer, not in a log line of any service."""

import csv
import io
import json
import re
from collections.abc import Awaitable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from fleet.events.trading import SignalEvaluated
from fleet.testing.waiting import until

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
    refusals = await admin.get(
        "/api/admin/audit", params={"target": trader.user_id, "action": "bingx.connect"}
    )
    [refused] = [e for e in refusals.json()["items"] if e["outcome"] == "failed"]
    assert refused["details"]["message"] == wrong.json()["error"]["message"][:200]  # not "invalid"

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
    lifted = await admin.post("/api/admin/resume-all")  # the stack is shared: trade again
    assert lifted.status_code == 200 and lifted.json()["trading_resumed"], lifted.text
    audit = await admin.get("/api/admin/audit", params={"target": trader.user_id})
    actions = {entry["action"] for entry in audit.json()["items"]}
    assert {"admin.bot.pause", "bot.paused", "bingx.connect", "credential.connected"} <= actions
    assert {"bot.start", "bot.pause", "bot.resume", "settings.update"} <= actions  # his own

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


async def running_trader(stack: "Stack", admin: "Session", bingx_sim: Any) -> tuple["Session", str]:
    """A trader connected to the simulator whose bot runs (hand trades get reconciled)."""
    trader = await stack.new_session(admin, "trader")
    keys = await simulator_keys(bingx_sim, ["read", "trade"])
    connected = await trader.post(
        "/api/bingx/connect", json={"api_key": keys["apiKey"], "api_secret": keys["secretKey"]}
    )
    assert connected.status_code == 200, connected.text
    stack.secrets.update({keys["apiKey"], keys["secretKey"]})
    await trader.put("/api/settings", json={"trading_enabled": True})
    assert (await trader.post("/api/bot/start")).status_code == 200
    return trader, keys["apiKey"]


async def open_by_hand(bingx_sim: Any, api_key: str, symbol: str, side: str, qty: str) -> None:
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        body = {"apiKey": api_key, "symbol": symbol, "side": side, "quantity": qty}
        answer = await http.post("/sim/positions", json=body)
        assert answer.status_code == 201, answer.text


async def sim_symbols(bingx_sim: Any, api_key: str) -> set[str]:
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        state = (await http.get(f"/sim/accounts/{api_key}")).json()
    return {p["symbol"] for p in state["positions"] if Decimal(p["quantity"]) != 0}


async def open_symbols(trader: "Session") -> set[str]:
    return {p["symbol"] for p in (await trader.get("/api/positions")).json()}


async def test_a_trader_closes_one_position_then_flattens_the_rest(
    stack: "Stack", admin: "Session", bingx_sim: Any
) -> None:
    trader, api_key = await running_trader(stack, admin, bingx_sim)
    other = await stack.new_session(admin, "trader")
    viewer = await stack.new_session(admin, "viewer")
    granted = await admin.put(f"/api/admin/users/{viewer.user_id}/grants/{trader.user_id}")
    assert granted.status_code == 200, granted.text
    await open_by_hand(bingx_sim, api_key, "SOL-USDT", "SHORT", "3")
    await open_by_hand(bingx_sim, api_key, "ETH-USDT", "LONG", "0.5")
    both = {"SOL-USDT", "ETH-USDT"}
    await until(lambda: _is(open_symbols(trader), both))

    assert (await viewer.post("/api/positions/SOL-USDT/close")).status_code == 403
    assert (await admin.post("/api/positions/SOL-USDT/close")).status_code == 403
    not_his = await other.post("/api/positions/SOL-USDT/close")
    assert not_his.status_code == 404, not_his.text  # only his own: he holds none
    assert (await other.post("/api/positions/flatten")).status_code == 409
    none_here = await trader.post("/api/positions/XRP-USDT/close")
    assert none_here.status_code == 404
    assert "XRP-USDT" in none_here.json()["error"]["message"]
    assert (await trader.post("/api/positions/sol-usdt/close")).status_code == 422

    closed = await trader.post("/api/positions/SOL-USDT/close")
    assert closed.status_code == 202, closed.text
    assert closed.json() == {"status": "requested", "symbols": ["SOL-USDT"], "positions": 1}
    await until(lambda: _is(open_symbols(trader), {"ETH-USDT"}))
    assert await sim_symbols(bingx_sim, api_key) == {"ETH-USDT"}  # only SOL closed

    flat = await trader.post("/api/positions/flatten")
    assert flat.status_code == 202, flat.text
    assert flat.json()["symbols"] == ["ETH-USDT"]
    await until(lambda: _is(open_symbols(trader), set()))
    assert await sim_symbols(bingx_sim, api_key) == set()
    again = await trader.post("/api/positions/flatten")
    assert again.status_code == 409 and again.json()["error"]["message"]

    trades = (await trader.get("/api/trades")).json()["items"]
    assert {(t["symbol"], t["close_reason"]) for t in trades} == {
        ("SOL-USDT", "flatten"),
        ("ETH-USDT", "flatten"),
    }
    audit = await admin.get("/api/admin/audit", params={"actor": trader.user_id})
    actions = [(e["action"], e["outcome"]) for e in audit.json()["items"]]
    assert ("trading.close", "ok") in actions and ("trading.flatten", "ok") in actions
    assert (await trader.post("/api/bot/stop")).status_code == 200
    await decisions_of(stack, trader.user_id)
    await csv_equals_json(trader, admin, viewer)
    await admin_pages_through_everything(trader, admin)


async def _is(found: Awaitable[set[str]], wanted: set[str]) -> bool:
    return await found == wanted


async def decisions_of(stack: "Stack", user_id: str) -> None:
    """Seven risk decisions over two symbols, as the executor records them."""
    for number in range(7):
        symbol = "BTC-USDT" if number % 2 else "ETH-USDT"
        await stack.append(
            "account",
            user_id,
            SignalEvaluated(
                signal_id=f"csv-signal-{number}",
                symbol=symbol,
                decision="skip",
                code="no_cross",
                reason=f'skip, "quoted", line {number}\nsecond line',
                numbers={"adx": f"2{number}.50", "di_gap": "-1.25"},
            ),
        )


def as_cells(row: dict[str, Any]) -> dict[str, str]:
    """A JSON row as the CSV must hold it: text as given, null empty, objects as JSON."""
    cells = {}
    for name, value in row.items():
        if value is None:
            cells[name] = ""
        elif isinstance(value, bool):
            cells[name] = "true" if value else "false"
        elif isinstance(value, dict | list):
            cells[name] = json.dumps(value, separators=(",", ":"))
        else:
            cells[name] = str(value)
    return cells


async def csv_rows(session: "Session", path: str, **params: str) -> list[dict[str, str]]:
    answer = await session.get(path, params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert re.fullmatch(
        r'attachment; filename="fleet-[a-z]+-[A-Za-z0-9_-]*-?\d{8}T\d{6}Z\.csv"',
        answer.headers["content-disposition"],
    ), answer.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(answer.text)))


async def json_rows(session: "Session", path: str, **params: str) -> list[dict[str, str]]:
    answer = await session.get(path, params={"limit": "500", **params})
    assert answer.status_code == 200, answer.text
    return [as_cells(item) for item in answer.json()["items"]]


def by_id(rows: list[dict[str, str]], key: str) -> dict[str, dict[str, str]]:
    keyed = {row[key]: row for row in rows}
    assert len(keyed) == len(rows), "a row twice"
    return keyed


async def csv_equals_json(trader: "Session", admin: "Session", viewer: "Session") -> None:
    me, admin_base = trader.user_id, f"/api/admin/users/{trader.user_id}"
    viewer_base = f"/api/viewer/traders/{me}"
    lists: tuple[tuple[str, str, dict[str, str]], ...] = (
        ("trades", "trade_id", {}),
        ("trades", "trade_id", {"symbol": "SOL-USDT"}),
        ("sessions", "session_id", {}),
        ("decisions", "event_id", {}),
        ("decisions", "event_id", {"symbol": "BTC-USDT"}),
    )
    for kind, key, params in lists:
        expected = by_id(await json_rows(trader, f"/api/{kind}", **params), key)
        assert expected, f"no {kind} to compare"
        for session, path in (
            (trader, f"/api/{kind}.csv"),
            (admin, f"{admin_base}/{kind}.csv"),
            (viewer, f"{viewer_base}/{kind}.csv"),
        ):
            assert by_id(await csv_rows(session, path, **params), key) == expected, path
    assert len(await csv_rows(trader, "/api/decisions.csv", symbol="BTC-USDT")) == 3
    assert (await trader.get("/api/decisions.csv", params={"symbol": "x"})).status_code == 422
    audit_csv = await csv_rows(admin, "/api/admin/audit.csv", actor=me)
    audit_json = await json_rows(admin, "/api/admin/audit", actor=me)
    assert by_id(audit_csv, "event_id") == by_id(audit_json, "event_id")
    audit = await admin.get("/api/admin/audit", params={"action": "viewer.export."})
    assert {e["target_user_id"] for e in audit.json()["items"]} == {me}
    assert (await trader.get("/api/admin/audit.csv")).status_code == 403


async def admin_pages_through_everything(trader: "Session", admin: "Session") -> None:
    base = f"/api/admin/users/{trader.user_id}"
    for kind, key, size in (("trades", "trade_id", 1), ("decisions", "event_id", 3)):
        expected = await json_rows(trader, f"/api/{kind}")
        seen: list[str] = []
        before: str | None = None
        while True:
            params = {"limit": str(size)} | ({"before": before} if before else {})
            page = (await admin.get(f"{base}/{kind}", params=params)).json()
            assert len(page["items"]) <= size
            seen += [item[key] for item in page["items"]]
            before = page["next_before"]
            if before is None:
                break
        assert sorted(seen) == sorted(row[key] for row in expected), kind
        assert len(seen) == len(set(seen)), f"a {kind} row twice"
    sessions = (await admin.get(f"{base}/sessions")).json()
    assert len(sessions["items"]) == 1 and sessions["next_before"] is None
    bad = await admin.get(f"{base}/trades", params={"before": "bm90LWEtY3Vyc29y"})
    assert bad.status_code == 400 and bad.json()["error"]["details"]["field"] == "before"
    assert (await trader.get(f"{base}/trades")).status_code == 403
    views = await admin.get("/api/admin/audit", params={"action": "admin.history.view"})
    assert len(views.json()["items"]) == 3  # the first page of each list, not every page


async def test_resume_all_undoes_the_kill_switch_only(
    stack: "Stack", admin: "Session", bingx_sim: Any
) -> None:
    """The kill switch halts trading (the bots keep their status); Resume all lifts it and
    resumes the bots an admin paused; a bot its trader paused stays paused; the overview
    shows the halt and counts the admin-paused bots; all of it audited."""
    killed, _ = await running_trader(stack, admin, bingx_sim)
    resting, _ = await running_trader(stack, admin, bingx_sim)
    assert (await resting.post("/api/bot/pause", json={"reason": "holiday"})).status_code == 200
    paused = await admin.post(
        f"/api/admin/users/{killed.user_id}/bot/pause", json={"reason": "risk review"}
    )
    assert paused.status_code == 200, paused.text
    switched = await admin.post("/api/admin/kill-switch", json={"reason": "drill"})
    assert switched.status_code == 200 and switched.json()["halted"], switched.text
    overview = (await admin.get("/api/admin/overview")).json()
    assert (overview["halted"], overview["halt_reason"]) == (True, "drill")
    assert overview["paused_by_admin"] >= 1
    again = await admin.post("/api/admin/kill-switch", json={"reason": "drill"})
    assert again.status_code == 200 and not again.json()["halted"], again.text

    resumed = await admin.post("/api/admin/resume-all", json={"reason": "drill over"})
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["trading_resumed"]
    outcomes = {o["user_id"]: o for o in resumed.json()["outcomes"]}
    assert outcomes[killed.user_id]["ok"], outcomes
    assert resting.user_id not in outcomes
    assert (await killed.get("/api/status")).json()["bot"]["status"] == "running"
    bot = (await resting.get("/api/status")).json()["bot"]
    assert (bot["status"], bot["pause_reason"]) == ("paused", "holiday")
    overview = (await admin.get("/api/admin/overview")).json()
    assert (overview["paused_by_admin"], overview["halted"]) == (0, False)
    audit = await admin.get("/api/admin/audit", params={"action": "admin.resume_all"})
    entry = audit.json()["items"][0]  # newest first (another test may resume all too)
    assert entry["details"]["resumed"] == str(resumed.json()["done"])
    assert entry["details"]["reason"] == "drill over"
    assert entry["details"]["trading_resumed"] == "true"
    on_killed = await admin.get(
        "/api/admin/audit", params={"target": killed.user_id, "action": "admin.bot.resume"}
    )
    assert on_killed.json()["total"] == 1
    again = await admin.post("/api/admin/resume-all")  # nothing left: a no-op, still audited
    assert again.status_code == 200 and again.json()["done"] == 0, again.text
    assert not again.json()["trading_resumed"]
    refused = await killed.post("/api/admin/resume-all")
    assert refused.status_code == 403


async def test_a_trader_reads_fleets_egress_addresses(stack: "Stack", admin: "Session") -> None:
    """The connection page lists the egress addresses an admin set (system settings)."""
    trader = await stack.new_session(admin, "trader")
    assert (await trader.get("/api/bingx/egress")).json() == {"addresses": []}
    body = {"egress_addresses": ["203.0.113.7", "198.51.100.9"]}
    assert (await admin.put("/api/admin/settings", json=body)).status_code == 200
    try:
        shown = await trader.get("/api/bingx/egress")
        assert shown.status_code == 200, shown.text
        assert shown.json() == {"addresses": ["203.0.113.7", "198.51.100.9"]}
    finally:
        reset = await admin.put("/api/admin/settings", json={"reset": ["egress_addresses"]})
        assert reset.status_code == 200, reset.text


# --- fleet import legacy: a single-user bot's files into a trader of this stack ---


async def _run_import(stack: "Stack", command: list[str], **env: str) -> tuple[int, str, str]:
    import asyncio
    import os

    spec = stack.store.spec
    environ = os.environ | env
    environ |= {
        "FLEET_NATS_URL": stack.nats_admin_url,
        "FLEET_STREAM_NAME": spec.name,
        "FLEET_SUBJECT_PREFIX": spec.prefix,
        "PYTHONUNBUFFERED": "1",
    }
    process = await asyncio.create_subprocess_exec(
        *command, env=environ, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    except TimeoutError:
        process.kill()
        out, err = await process.communicate()
        raise AssertionError(f"the import hung: {out.decode()} {err.decode()}") from None
    return process.returncode or 0, out.decode(), err.decode()


async def _all_trades(trader: "Session") -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = await trader.get("/api/trades", params={"limit": 500, "offset": len(items)})
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        if len(items) >= page.json()["total"]:
            return items


@pytest.mark.timeout(420)  # two files, four CLI runs, two logins on a shared machine
async def test_legacy_bots_are_imported_once_with_their_times_and_pnl(
    stack: "Stack", admin: "Session", bingx_sim: Any, tmp_path: Any
) -> None:
    from tests.api.conftest import Account
    from tests.api.legacy_bot import buy_sell_bot, import_command, long_short_bot

    bots, bingx_secrets, outputs = [], [], []
    for name, build, rows in (("legacy-bs", buy_sell_bot, 120), ("legacy-ls", long_short_bot, 80)):
        keys = await simulator_keys(bingx_sim, ["read", "trade"])
        bingx_secrets.append(keys["secretKey"])
        bots.append((name, build(tmp_path / name, rows, keys["apiKey"], keys["secretKey"])))
        # the BUY/SELL bot's open trades on BTC-USDT are longs (row 30, 60, 90, 120: n % 3
        # == 0 is BTCUSDT, even n is BUY): a long BTC position at BingX matches them
        if name == "legacy-bs":
            await open_by_hand(bingx_sim, keys["apiKey"], "BTC-USDT", "LONG", "0.04")
    password = "imported trader password 1"
    stack.secrets.add(password)
    for name, bot in bots:
        code, out, err = await _run_import(
            stack, import_command(bot, name), FLEET_IMPORT_PASSWORD=password
        )
        assert code == 0, out + err
        outputs.append(out + err)
        assert f"rows read: {bot.rows}" in out and f"trades imported: {bot.rows}" in out
        assert f"PnL sum in the file: {bot.pnl}" in out and "check: OK" in out
        assert "acting as admin root" in out
        matched = 4 if name == "legacy-bs" else 0
        assert f"open trades matched: {matched} of {bot.open_rows}" in out, out
        assert out.count("without a BingX position") == bot.open_rows - matched, out
        assert list(bot.sqlite.parent.glob("bot.db.*.bak")) and bot.env.read_text()
        trader = await stack.login(Account("", name, password, "trader"))
        status = (await trader.get("/api/status")).json()
        assert status["credential"]["status"] == "verified", status
        settings = (await trader.get("/api/settings")).json()
        assert settings["leverage"] == 3 and settings["symbols"] == ["BTC-USDT", "ETH-USDT"]
        trades = await _all_trades(trader)
        # closed trades, and the open ones no BingX position matched (closed at the import,
        # without PnL); the matched ones stay open ("carried": the executor has the position)
        assert len(trades) == bot.rows - matched
        assert all(t["imported_from"] == "legacy" for t in trades)
        unmatched = [t for t in trades if t["realised_pnl"] is None]
        assert len(unmatched) == bot.open_rows - matched
        assert all("no open BingX" in t["close_reason"] for t in unmatched), unmatched[:1]
        assert sum(Decimal(t["realised_pnl"] or 0) for t in trades) == bot.pnl
        first = min(trades, key=lambda t: t["opened_at"])
        assert first["opened_at"].startswith(bot.first_opened.strftime("%Y-%m-%dT%H:%M:%S"))
        assert {t["symbol"] for t in trades} == {"BTC-USDT", "ETH-USDT", "SOL-USDT"}

        again = await _run_import(stack, import_command(bot, name))
        assert again[0] == 0 and "trades imported: 0" in again[1], again
        assert len(await _all_trades(trader)) == bot.rows - matched
    printed = "\n".join(outputs) + stack.logged()
    assert not [secret for secret in bingx_secrets if secret in printed]


@pytest.mark.timeout(300)
async def test_a_legacy_file_with_a_bad_row_stores_nothing(
    stack: "Stack", admin: "Session", bingx_sim: Any, tmp_path: Any
) -> None:
    from tests.api.legacy_bot import buy_sell_bot, import_command, spoil_row

    keys = await simulator_keys(bingx_sim, ["read", "trade"])
    stack.secrets.add(keys["secretKey"])
    bot = buy_sell_bot(tmp_path, 50, keys["apiKey"], keys["secretKey"])
    spoil_row(bot, 37, "side", "SIDEWAYS")
    code, out, err = await _run_import(stack, import_command(bot, "legacy-bad"))
    assert code == 2, out + err
    assert "row 37" in err and "side" in err and "nothing imported" in err
    assert keys["secretKey"] not in out + err
    users = (await admin.get("/api/admin/users", params={"limit": 500})).json()
    assert "legacy-bad" not in json.dumps(users)

    dry = await _run_import(
        stack, import_command(buy_sell_bot(tmp_path / "ok", 5, "k", "s"), "x", "--dry-run")
    )
    assert dry[0] == 0 and "rows read: 5" in dry[1] and "nothing written" in dry[1], dry

    # the import runs as a named admin: an unknown one (or a trader) stores nothing
    good = buy_sell_bot(tmp_path / "good", 5, keys["apiKey"], keys["secretKey"])
    nobody = await _run_import(stack, import_command(good, "legacy-nobody", actor="nobody"))
    assert nobody[0] == 2 and "--actor nobody: no such user" in nobody[2], nobody
    trader = await stack.new_session(admin, "trader")
    as_trader = import_command(good, "legacy-nobody", actor=trader.account.username)
    refused = await _run_import(stack, as_trader)
    assert refused[0] == 2 and "not an active admin" in refused[2], refused
    users = (await admin.get("/api/admin/users", params={"limit": 500})).json()
    assert "legacy-nobody" not in json.dumps(users)


# --- BingX's own history: the last 90 days of fills and income, imported on request ---


async def _sim_post(bingx_sim: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        answer = await http.post(path, json=body)
        assert answer.status_code in (200, 201), answer.text
        return dict(answer.json())


async def _import_ended(trader: "Session", seen: list[int]) -> dict[str, Any] | None:
    state = (await trader.get("/api/bingx/history-import")).json()
    seen.append(state["windows_done"])
    return state if state["status"] in ("done", "failed") else None


async def _all_income(trader: "Session") -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        answer = await trader.get("/api/income", params=params)
        assert answer.status_code == 200, answer.text
        rows += answer.json()["items"]
        if not (after := answer.json()["next_before"]):
            return rows
        params["before"] = after


async def the_income_is_listed(trader: "Session", count: int) -> None:
    """The imported income rows, each once, in the trader's income list and its CSV."""

    async def imported() -> list[dict[str, Any]]:
        rows = [r for r in await _all_income(trader) if r["imported_from"] == "bingx"]
        return rows if len(rows) == count else []

    rows = await until(imported)
    assert len({r["income_id"] for r in rows}) == count
    assert [r["at"] for r in rows] == sorted((r["at"] for r in rows), reverse=True)
    exported = await trader.get("/api/income.csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    listed = {r["income_id"] for r in csv.DictReader(io.StringIO(exported.text))}
    assert {r["income_id"] for r in rows} <= listed


@pytest.mark.timeout(300)
async def test_bingx_history_is_imported_once_with_progress_within_the_rate_limits(
    stack: "Stack", admin: "Session", bingx_sim: Any
) -> None:
    trader = await stack.new_session(admin, "trader")
    keys = await simulator_keys(bingx_sim, ["read", "trade"])
    stack.secrets.update({keys["apiKey"], keys["secretKey"]})
    path = f"/sim/accounts/{keys['apiKey']}/history"
    past = await _sim_post(bingx_sim, path, {"round_trips": 60, "days": 90})
    early = await trader.post("/api/bingx/history-import")
    assert early.status_code == 409 and "connect" in early.json()["error"]["message"], early.text
    connected = await trader.post(
        "/api/bingx/connect", json={"api_key": keys["apiKey"], "api_secret": keys["secretKey"]}
    )
    assert connected.status_code == 200, connected.text

    # BingX answers "rate limit" to the next signed requests: the import waits and asks again
    await _sim_post(bingx_sim, "/sim/faults", {"rate_limit_storm": 12})
    started = await trader.post("/api/bingx/history-import")
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "running" and started.json()["windows"] == 13  # 7 days each
    seen: list[int] = []
    done = await until(lambda: _import_ended(trader, seen), timeout=180)
    assert done["status"] == "done", done
    assert done["rate_limited"] >= 1 and done["windows_done"] == 13
    assert len(set(seen)) > 1  # progress was visible on the way
    assert done["trades_imported"] == past["roundTrips"] and done["fills_read"] == past["fills"]
    assert done["income_imported"] == past["incomeRows"]

    async def imported() -> list[dict[str, Any]]:
        rows = [t for t in await _all_trades(trader) if t["imported_from"] == "bingx"]
        return rows if len(rows) == past["roundTrips"] else []

    trades = await until(imported)
    assert sum(Decimal(t["realised_pnl"]) for t in trades) == Decimal(past["realisedPnl"])
    assert min(t["opened_at"] for t in trades) < max(t["closed_at"] for t in trades)
    await the_income_is_listed(trader, past["incomeRows"])

    again = await trader.post("/api/bingx/history-import")
    assert again.status_code == 202, again.text
    second = await until(lambda: _import_ended(trader, []), timeout=180)
    assert second["import_id"] != done["import_id"] and second["trades_imported"] == 0
    assert second["trades_already_there"] == past["roundTrips"] and second["income_imported"] == 0
    assert len(await imported()) == past["roundTrips"]
    audit = await admin.get(
        "/api/admin/audit", params={"target": trader.user_id, "action": "bingx.history_import"}
    )
    assert [e["outcome"] for e in audit.json()["items"]].count("ok") == 2, audit.text
    exports = await admin.get(
        "/api/admin/audit", params={"target": trader.user_id, "action": "trading.export.income"}
    )
    assert exports.json()["items"], exports.text
