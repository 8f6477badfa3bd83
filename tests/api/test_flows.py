"""Everyday flows through the HTTP API with the real auth service: sign-in, the caller's
account, users created by an admin, settings, tokens, read-your-writes."""

import asyncio
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest

from fleet.events import AggregateId, AggregateRef
from fleet.events.auth_commands import UpdateTradingSettings
from fleet.events.bots import BotStarted
from fleet.events.trading import (
    AccountValued,
    FundingPaid,
    PositionClosed,
    PositionOpened,
    SignalEvaluated,
)
from fleet.events.users import TradingSettings
from fleet.eventstore.stream import CHARTS_BUCKET

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def gateway_workers() -> int:
    """These flows run on two gateway processes: reads must see writes made through the
    other one, sessions work on both (they are in PostgreSQL)."""
    return 2


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


async def test_two_gateway_processes_serve_one_port(stack: "Stack", admin: "Session") -> None:
    supervisor = stack.processes["gateway"].process.proc
    assert supervisor is not None
    workers = [pid for pid in _children(supervisor.pid) if "spawn_main" in _cmdline(pid)]
    assert len(workers) == 2, workers
    trader = await stack.new_session(admin, "trader")
    for leverage in range(2, 12):  # each write and read may land on either process
        changed = await trader.put("/api/settings", json={"leverage": leverage})
        assert changed.status_code == 200 and changed.json()["leverage"] == leverage
        status = await trader.get("/api/status")
        assert status.status_code == 200 and status.json()["username"] == trader.account.username


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


async def test_sign_in_me_and_settings(stack: "Stack", admin: "Session") -> None:
    me = await admin.get("/api/auth/me")
    assert me.status_code == 200, me.text
    assert me.json()["role"] == "admin"
    trader = await stack.new_session(admin, "trader")
    # a user the admin just created is readable at once (read your writes)
    seen = await admin.get(f"/api/admin/users/{trader.user_id}")
    assert seen.status_code == 200 and seen.json()["username"] == trader.account.username
    settings = await trader.get("/api/settings")
    assert settings.status_code == 200, settings.text
    assert settings.json()["max_positions"] == 2
    changed = await trader.put("/api/settings", json={"max_positions": 4, "leverage": 10})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["max_positions"], changed.json()["leverage"]) == (4, 10)
    refused = await trader.put("/api/settings", json={"max_positions": 0})
    assert (
        refused.status_code == 422
        and refused.json()["error"]["details"]["field"] == "max_positions"
    )
    status = await trader.get("/api/status")
    assert status.status_code == 200, status.text
    assert status.json()["credential"]["status"] == "not_connected"


async def test_tokens(stack: "Stack", admin: "Session") -> None:
    trader = await stack.new_session(admin, "trader")
    created = await trader.post("/api/tokens", json={"name": "ci", "scope": "read"})
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    stack.secrets.add(token)
    http = stack.client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await http.get("/api/stats", headers=bearer)).status_code == 200
    assert (await http.post("/api/bot/start", headers=bearer)).status_code == 403
    listed = await trader.get("/api/tokens")
    assert [t["name"] for t in listed.json()] == ["ci"]
    revoked = await trader.delete(f"/api/tokens/{created.json()['token_id']}")
    assert revoked.status_code == 200, revoked.text
    assert (await http.get("/api/stats", headers=bearer)).status_code == 401
    admin_scope = await trader.post("/api/tokens", json={"name": "x", "scope": "admin"})
    assert admin_scope.status_code == 403


async def test_trading_reads_viewer_and_admin_views(stack: "Stack", admin: "Session") -> None:
    trader = await stack.new_session(admin, "trader")
    viewer = await stack.new_session(admin, "viewer")
    settings = TradingSettings(trading_enabled=True)
    await stack.append(
        "bot",
        trader.user_id,
        BotStarted(
            session_id="s-flow", settings=settings, initial_balance=Decimal(1000), by="system"
        ),
    )
    opened = datetime.now(UTC) - timedelta(minutes=5)
    trades = [
        ("t1", "BTC-USDT", Decimal("12.5")),
        ("t2", "ETH-USDT", Decimal("-4")),
        ("t3", "BTC-USDT", Decimal("3")),
    ]
    for trade_id, symbol, pnl in trades:
        await stack.append(
            "account",
            trader.user_id,
            PositionOpened(
                trade_id=trade_id,
                symbol=symbol,
                position_side="LONG",
                direction="long",
                quantity=Decimal(1),
                entry_price=Decimal(100),
                leverage=5,
                opened_at=opened,
            ),
            PositionClosed(
                trade_id=trade_id,
                symbol=symbol,
                position_side="LONG",
                quantity=Decimal(1),
                entry_price=Decimal(100),
                exit_price=Decimal(100) + pnl,
                realised_pnl=pnl,
                closed_at=datetime.now(UTC),
                reason="opposite signal",
            ),
        )
    last = await stack.append(
        "account",
        trader.user_id,
        AccountValued(
            balance=Decimal("1011.5"),
            equity=Decimal("1011.5"),
            available_margin=Decimal(900),
            unrealised_pnl=Decimal(0),
            valued_at=datetime.now(UTC),
        ),
    )
    await caught_up(stack, last)

    stats = (await trader.get("/api/stats")).json()
    assert (stats["trades"], stats["wins"], stats["losses"]) == (3, 2, 1)
    assert Decimal(stats["pnl_today"]) == Decimal("11.5")
    page = (await trader.get("/api/trades", params={"symbol": "BTC-USDT", "limit": 1})).json()
    assert page["total"] == 2 and len(page["items"]) == 1
    later = (await trader.get("/api/trades", params={"since": "2999-01-01T00:00:00Z"})).json()
    assert later["total"] == 0
    naive = await trader.get("/api/trades", params={"since": "2026-01-01T00:00:00"})
    assert naive.status_code == 422 and naive.json()["error"]["details"]["field"] == "since"
    session = (await trader.get("/api/sessions/s-flow")).json()
    assert (session["trades"], Decimal(session["total_pnl"])) == (3, Decimal("11.5"))

    hidden = await viewer.get(f"/api/viewer/traders/{trader.user_id}/dashboard")
    assert hidden.status_code == 404
    granted = await admin.put(f"/api/admin/users/{viewer.user_id}/grants/{trader.user_id}")
    assert [g["trader_id"] for g in granted.json()] == [trader.user_id]
    listed = (await viewer.get("/api/viewer/traders")).json()
    assert [(t["trader_id"], t["bot_status"]) for t in listed] == [(trader.user_id, "running")]
    board = await viewer.get(f"/api/viewer/traders/{trader.user_id}/dashboard")
    assert board.status_code == 200 and board.json()["stats"]["trades"] == 3
    not_viewer = await admin.put(f"/api/admin/users/{trader.user_id}/grants/{viewer.user_id}")
    assert not_viewer.status_code == 400
    assert not_viewer.json()["error"]["details"]["field"] == "user_id"

    seen = await admin.get(f"/api/admin/users/{trader.user_id}/dashboard")
    assert seen.status_code == 200 and seen.json()["account"]["balance"] == "1011.5"
    overview = (await admin.get("/api/admin/overview")).json()
    line = next(a for a in overview["accounts"] if a["user_id"] == trader.user_id)
    assert line["bot_status"] == "running" and Decimal(line["pnl_today"]) == Decimal("11.5")
    audit = await admin.get(
        "/api/admin/audit", params={"actor": admin.user_id, "target": trader.user_id}
    )
    actions = {entry["action"] for entry in audit.json()["items"]}
    assert {"admin.dashboard.view", "admin.user.create"} <= actions
    assert "admin.grant.give" in {
        e["action"]
        for e in (await admin.get("/api/admin/audit", params={"action": "admin.grant."})).json()[
            "items"
        ]
    }
    no_bot = await admin.post(f"/api/admin/users/{trader.user_id}/bot/pause")
    assert no_bot.status_code == 503  # no executor in this module: said clearly
    assert "executor" in no_bot.json()["error"]["message"]
    own_bot = await admin.post(f"/api/admin/users/{admin.user_id}/bot/start")
    assert own_bot.status_code == 403  # an admin has no bot of his own


async def caught_up(stack: "Stack", sequence: int) -> None:
    """Wait until every gateway read model applied ``sequence`` (its checkpoints)."""
    dsn = stack.database_url.replace("postgresql+psycopg", "postgresql")
    query = " UNION ALL ".join(
        f"SELECT last_sequence FROM rm_{name}._checkpoint"
        for name in ("users", "credentials", "bots", "trading", "audit")
    )
    for _ in range(200):
        with psycopg.connect(dsn) as connection:
            reached = [row[0] for row in connection.execute(query).fetchall()]
        if min(reached) >= sequence:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"read models did not reach {sequence}: {reached}")


READ_MODEL_TABLES = (
    "rm_users.users",
    "rm_users.grants",
    "rm_users.trading_settings",
    "rm_users.tokens",
    "rm_audit.entries",
    "rm_trading.trades",
    "rm_trading.sessions",
    "rm_bots.bots",
)


def snapshot(database_url: str) -> dict[str, list[tuple[str, ...]]]:
    dsn = database_url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(dsn) as connection:
        return {
            table: sorted(
                tuple(map(str, row))
                for row in connection.execute(f"SELECT * FROM {table}").fetchall()
            )
            for table in READ_MODEL_TABLES
        }


async def test_rebuild_from_the_log_gives_the_same_rows(stack: "Stack", admin: "Session") -> None:
    """Last in the module: everything the tests above did, replayed by the CLI."""
    await caught_up(stack, await stack.store.last_sequence())
    before = snapshot(stack.database_url)
    assert before["rm_users.grants"] and before["rm_audit.entries"]
    env = os.environ | {
        "FLEET_DATABASE_URL": stack.database_url,
        "FLEET_NATS_URL": stack.nats_admin_url,
        "FLEET_STREAM_NAME": stack.store.spec.name,
        "FLEET_SUBJECT_PREFIX": stack.store.spec.prefix,
    }
    rebuild = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "fleet"),
        "projections",
        "rebuild",
        "users",
        "audit",
        "trading",
        "bots",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(rebuild.communicate(), timeout=120)
    assert rebuild.returncode == 0, stderr.decode()
    assert "users: rebuilt from" in stderr.decode()
    assert snapshot(stack.database_url) == before
    # the running gateway follows the swapped-in tables and still answers
    assert (await admin.get("/api/admin/users")).status_code == 200


def _valued(equity: str, at: datetime) -> AccountValued:
    return AccountValued(
        balance=Decimal(equity),
        equity=Decimal(equity),
        available_margin=Decimal(equity),
        unrealised_pnl=Decimal(0),
        valued_at=at,
    )


def _closed_trade(trade_id: str, pnl: str, at: datetime) -> list[PositionOpened | PositionClosed]:
    common = {"trade_id": trade_id, "symbol": "BTC-USDT", "position_side": "LONG"}
    return [
        PositionOpened(
            **common,
            direction="long",
            quantity=Decimal(1),
            entry_price=Decimal(100),
            leverage=5,
            opened_at=at,
        ),
        PositionClosed(
            **common,
            quantity=Decimal(1),
            entry_price=Decimal(100),
            exit_price=Decimal(100) + Decimal(pnl),
            realised_pnl=Decimal(pnl),
            fees=Decimal("0.25"),
            closed_at=at,
            reason="opposite signal",
        ),
    ]


async def test_equity_history_statistics_and_candles(stack: "Stack", admin: "Session") -> None:
    trader = await stack.new_session(admin, "trader")
    viewer = await stack.new_session(admin, "viewer")
    now = datetime.now(UTC)
    await stack.append("account", trader.user_id, *_closed_trade("w", "30", now))
    await stack.append("account", trader.user_id, *_closed_trade("l", "-10", now))
    funding = FundingPaid(
        funding_id="f1", amount=Decimal("-1.5"), paid_at=now, reported_by="stream"
    )
    await stack.append("account", trader.user_id, funding)
    # 1000 three days ago (an hourly point), 1200 an hour ago and 900 now (5-min points)
    for equity, age in (("1000", timedelta(days=3)), ("1200", timedelta(hours=1))):
        await stack.append("account", trader.user_id, _valued(equity, now - age))
    last = await stack.append("account", trader.user_id, _valued("900", now))
    await caught_up(stack, last)

    curve = (await trader.get("/api/equity")).json()
    assert [p["equity"] for p in curve["points"]] == ["1000", "1200", "900"]
    assert [p["drawdown_pct"] for p in curve["points"]] == ["0.00", "0.00", "-25.00"]
    assert curve["max_drawdown_pct"] == "-25.00"
    assert curve["daily_pnl"][0] == {
        "day": (now - timedelta(days=3)).date().isoformat(),
        "pnl": "0",
    }
    assert sum(Decimal(day["pnl"]) for day in curve["daily_pnl"]) == Decimal(-100)
    stats = (await trader.get("/api/stats")).json()
    assert stats["return_all_time_pct"] == "-10.00"
    assert stats["max_drawdown_pct"] == "-25.00"
    assert (stats["profit_factor"], stats["average_win"], stats["average_loss"]) == (
        "3.00",
        "30.00",
        "-10.00",
    )
    assert (stats["trades_today"], stats["fees_paid"], stats["funding"]) == (2, "0.50", "-1.5")

    assert (await viewer.get(f"/api/viewer/traders/{trader.user_id}/equity")).status_code == 404
    await admin.put(f"/api/admin/users/{viewer.user_id}/grants/{trader.user_id}")
    granted = await viewer.get(f"/api/viewer/traders/{trader.user_id}/equity")
    assert granted.json() == curve
    assert (await admin.get(f"/api/admin/users/{trader.user_id}/equity")).json() == curve

    window = {
        "candles": [
            {
                "open_ms": 60_000 * m,
                "open": 1.5,
                "high": 2,
                "low": 1,
                "close": 1.75,
                "volume": 3,
                "closed": m < 3,
                "adx": 20.5 if m < 3 else None,
                "plus_di": 30,
                "minus_di": 10,
            }
            for m in (1, 2, 3)
        ]
    }
    charts = await stack.nc.jetstream().key_value(CHARTS_BUCKET)
    await charts.put("BTC-USDT.1m", json.dumps(window).encode())
    query = {"symbol": "BTC-USDT", "timeframe": "1m", "limit": 2}
    answer = (await viewer.get("/api/market/candles", params=query)).json()
    assert [(c["close"], c["closed"], c["adx"]) for c in answer["candles"]] == [
        ("1.75", True, "20.5"),
        ("1.75", False, None),
    ]
    assert answer["candles"][0]["open_time"] == "1970-01-01T00:02:00Z"
    untracked = {"symbol": "DOGE-USDT", "timeframe": "1m"}
    assert (await trader.get("/api/market/candles", params=untracked)).json()["candles"] == []
    for bad in ({"symbol": "BTC-USDT", "timeframe": "7m"}, {**query, "limit": 0}):
        assert (await trader.get("/api/market/candles", params=bad)).status_code == 422


async def test_a_reply_carries_the_sequence_it_wrote_and_nothing_when_refused(
    stack: "Stack", admin: "Session"
) -> None:
    trader = await stack.new_session(admin, "trader")
    changed = await stack.ask(
        UpdateTradingSettings(user_id=trader.user_id, changes={"max_positions": 3})
    )
    assert changed["ok"], changed
    user = AggregateRef(type="user", id=AggregateId(trader.user_id))
    assert changed["sequence"] == await stack.store.version(user)  # its own event, exactly
    refused = await stack.ask(
        UpdateTradingSettings(user_id=trader.user_id, changes={"max_positions": 0})
    )
    assert not refused["ok"] and "sequence" not in refused


def _evaluated(signal: str, decision: str, code: str) -> SignalEvaluated:
    return SignalEvaluated(
        signal_id=signal,
        symbol="BTC-USDT",
        decision=decision,
        code=code,
        reason=f"{decision}: {code}",
        numbers={},
    )


async def test_decision_feed_filters_cursor_pages_and_today_by_zone(
    stack: "Stack", admin: "Session"
) -> None:
    trader = await stack.new_session(admin, "trader")
    decided = [
        _evaluated("s1", "entry", "entry"),
        *[_evaluated(f"s{i}", "skip", "no_cross") for i in range(2, 5)],
        _evaluated("s5", "skip", "holding"),
        _evaluated("s6", "exit", "opposite_cross"),
        _evaluated("s7", "skip", "paused"),
    ]
    await caught_up(stack, await stack.append("account", trader.user_id, *decided))

    notable = (await trader.get("/api/decisions", params={"routine": "false"})).json()
    assert [d["signal_id"] for d in notable["items"]] == ["s7", "s6", "s1"]
    assert notable["total"] == 3
    skips = (await trader.get("/api/decisions", params={"decision": "skip"})).json()
    assert skips["total"] == 5
    first = (await trader.get("/api/decisions", params={"limit": 3})).json()
    assert [d["signal_id"] for d in first["items"]] == ["s7", "s6", "s5"]
    cursor = {"limit": 3, "before": first["next_before"]}
    second = (await trader.get("/api/decisions", params=cursor)).json()
    assert [d["signal_id"] for d in second["items"]] == ["s4", "s3", "s2"]
    # a decision arriving meanwhile shifts no page read by cursor
    await caught_up(
        stack, await stack.append("account", trader.user_id, _evaluated("s8", "entry", "entry"))
    )
    again = (await trader.get("/api/decisions", params=cursor)).json()
    assert again["items"] == second["items"]
    last = await trader.get("/api/decisions", params={**cursor, "before": again["next_before"]})
    assert [d["signal_id"] for d in last.json()["items"]] == ["s1"]
    assert last.json()["next_before"] is None
    bad = await trader.get("/api/decisions", params={"before": "bm90LWEtY3Vyc29y"})
    assert bad.status_code == 400 and bad.json()["error"]["details"]["field"] == "before"

    zoned = await trader.get("/api/stats", params={"tz": "America/New_York"})
    assert zoned.status_code == 200 and zoned.json()["zone"] == "America/New_York"
    assert (await trader.get("/api/stats")).json()["zone"] == "UTC"
    unknown = await trader.get("/api/stats", params={"tz": "Mars/Olympus"})
    assert unknown.status_code == 400 and unknown.json()["error"]["details"]["field"] == "tz"
