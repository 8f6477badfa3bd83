"""The gateway's projections against a real log (NATS JetStream) and PostgreSQL: events
appended here as the auth service, vault and the executor would, read back through the
gateway's queries, and a rebuild from the log giving the same rows."""

import asyncio
import signal
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text

from fleet.events import ActorId, AggregateId, AggregateRef, DomainEvent, wrap
from fleet.events import audit as audit_ev
from fleet.events import bots as bot_ev
from fleet.events import credentials as cred_ev
from fleet.events import history as history_ev
from fleet.events import notifications as note_ev
from fleet.events import trading as trade_ev
from fleet.events import users as user_ev
from fleet.eventstore import EventStore
from fleet.eventstore.stream import ensure_platform
from fleet.gateway.live.revocation import live_tokens
from fleet.gateway.read_models import views
from fleet.gateway.read_models.audit.queries import AuditFilter, audit_page
from fleet.gateway.read_models.credentials.queries import credential_of
from fleet.gateway.read_models.notifications import queries as notes
from fleet.gateway.read_models.runners import ReadModels
from fleet.gateway.read_models.trading import equity_reads, history
from fleet.gateway.read_models.trading import queries as trading
from fleet.gateway.read_models.users import queries as users
from fleet.gateway.schemas.notifications import NotificationsQuery

pytestmark = pytest.mark.integration
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def append(store: EventStore, kind: str, owner: str, *events: DomainEvent) -> int:
    aggregate = AggregateRef(type=kind, id=AggregateId(owner))
    envelopes = [wrap(event, aggregate, actor=ActorId("admin1")) for event in events]
    stored = await store.append(aggregate, envelopes, expected_version=None)
    return stored[-1].sequence or 0


async def a_small_world(store: EventStore) -> int:
    """An admin, two traders, a viewer granted one of them, settings, a token, a
    connected credential, a bot session with one winning and one open trade, a lockout
    and a gateway audit entry."""
    for user, role in (
        ("admin1", "admin"),
        ("alice", "trader"),
        ("bob", "trader"),
        ("vera", "viewer"),
    ):
        await append(
            store,
            "user",
            user,
            user_ev.UserCreated(
                username=user, email=f"{user}@example.com", role=role, created_by="admin1"
            ),
        )
    await append(store, "user", "vera", user_ev.ViewerGrantGiven(trader_id="alice"))
    await append(store, "user", "vera", user_ev.ViewerGrantGiven(trader_id="bob"))
    await append(store, "user", "vera", user_ev.ViewerGrantRevoked(trader_id="bob"))
    settings = user_ev.TradingSettings(
        trading_enabled=True, max_positions=3, symbols=("BTC-USDT", "ETH-USDT")
    )
    await append(store, "user", "alice", user_ev.TradingSettingsChanged(settings=settings))
    await append(
        store,
        "user",
        "alice",
        user_ev.AccessTokenCreated(
            token_id="tok1", name="ci", scope="read", token_sha256="ab" * 32
        ),
    )
    await append(
        store,
        "cred",
        "alice",
        cred_ev.CredentialConnected(
            api_key_ciphertext="vault:v1:xyz",
            api_key_last4="9XkQ",
            signing_key_version=1,
            account_type="perpetual",
            permissions=(1, 2),
            ip_addresses=(),
            balance=Decimal("2500.0000"),
        ),
    )
    await append(
        store,
        "bot",
        "alice",
        bot_ev.BotStarted(
            session_id="s1", settings=settings, initial_balance=Decimal("2500"), by="alice"
        ),
    )
    await append(
        store,
        "account",
        "alice",
        # the executor stores a fill's effect inside the order's outcome
        trade_ev.OrderAccepted(
            client_order_id="t1",
            exchange_order_id="9001",
            status="FILLED",
            average_price=Decimal("60000"),
            executed_quantity=Decimal("0.01"),
            opened=trade_ev.PositionOpened(
                trade_id="t1",
                symbol="BTC-USDT",
                position_side="LONG",
                direction="long",
                quantity=Decimal("0.01"),
                entry_price=Decimal("60000"),
                leverage=5,
                opened_at=T0,
            ),
        ),
        trade_ev.OrderAccepted(
            client_order_id="t1-exit",
            exchange_order_id="9002",
            status="FILLED",
            average_price=Decimal("61000"),
            executed_quantity=Decimal("0.01"),
            closed=trade_ev.PositionClosed(
                trade_id="t1",
                symbol="BTC-USDT",
                position_side="LONG",
                quantity=Decimal("0.01"),
                entry_price=Decimal("60000"),
                exit_price=Decimal("61000"),
                realised_pnl=Decimal("9.5"),
                closed_at=T0 + timedelta(hours=1),
                reason="opposite signal",
            ),
        ),
        trade_ev.PositionOpened(
            trade_id="t2",
            symbol="ETH-USDT",
            position_side="SHORT",
            direction="short",
            quantity=Decimal("0.500000000000000001"),
            entry_price=Decimal("3000"),
            leverage=5,
            stop_price=Decimal("3100.25"),
            opened_at=T0,
        ),
        trade_ev.AccountValued(
            balance=Decimal("2509.5"),
            equity=Decimal("2511"),
            available_margin=Decimal("2200"),
            unrealised_pnl=Decimal("1.5"),
            valued_at=T0,
        ),
        trade_ev.SignalEvaluated(
            signal_id="sig1",
            symbol="BTC-USDT",
            decision="skip",
            code="max_positions",
            reason="skipped: 3 of 3 open",
            numbers={"open": "3"},
        ),
        *fills_and_funding(),
    )
    await append(
        store, "bot", "alice", bot_ev.BotPaused(reason="drawdown", by="system", automatic=True)
    )
    await append(
        store,
        "user",
        "bob",
        user_ev.UserLocked(until=T0 + timedelta(days=3650), consecutive_failures=10),
    )
    return await append(
        store,
        "audit",
        "admin1",
        audit_ev.AuditRecorded(
            action="admin.dashboard.view",
            actor_id="admin1",
            actor_role="admin",
            ip="10.0.0.1",
            target_user_id="alice",
        ),
    )


def _intent(client_order_id: str, symbol: str) -> trade_ev.OrderIntended:
    return trade_ev.OrderIntended(
        client_order_id=client_order_id,
        signal_id="sig2",
        leg="entry",
        symbol=symbol,
        side="BUY",
        position_side="LONG",
        order_type="MARKET",
        quantity=Decimal(1),
        leverage=5,
    )


def fills_and_funding() -> list[DomainEvent]:
    """An order accepted and not filled (pending), one partly filled (a partial position
    opened by its fill) and a funding fee paid."""
    return [
        _intent("t3", "SOL-USDT"),
        trade_ev.OrderAccepted(client_order_id="t3", exchange_order_id="9003", status="NEW"),
        _intent("t4", "XRP-USDT"),
        trade_ev.OrderAccepted(client_order_id="t4", exchange_order_id="9004", status="NEW"),
        trade_ev.OrderFilled(
            fill_id="9004:0.4",
            client_order_id="t4",
            exchange_order_id="9004",
            symbol="XRP-USDT",
            side="BUY",
            position_side="LONG",
            price=Decimal("0.5"),
            quantity=Decimal("0.4"),
            cumulative_quantity=Decimal("0.4"),
            fee=Decimal("0.0001"),
            order_status="PARTIALLY_FILLED",
            filled_at=T0,
            reported_by="stream",
            opened=trade_ev.PositionOpened(
                trade_id="t4",
                symbol="XRP-USDT",
                position_side="LONG",
                direction="long",
                quantity=Decimal("0.4"),
                entry_price=Decimal("0.5"),
                leverage=5,
                opened_at=T0 + timedelta(minutes=1),
                fees=Decimal("0.0001"),
            ),
        ),
        trade_ev.FundingPaid(
            funding_id="income-1",
            symbol="ETH-USDT",
            amount=Decimal("-0.5"),
            paid_at=T0,
            reported_by="query",
        ),
    ]


def imported_income() -> list[DomainEvent]:
    """BingX's income history imported: the funding fee already paid live, and a fee."""
    rows = [("1", "FUNDING_FEE", "-0.5", T0), ("2", "TRADING_FEE", "-0.01", T0 + timedelta(1))]
    return [
        history_ev.IncomeImported(
            source="bingx",
            income=history_ev.ImportedIncome(
                tran_id=tran_id, income_type=kind, symbol="ETH-USDT", amount=Decimal(amount), at=at
            ),
        )
        for tran_id, kind, amount, at in rows
    ]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    created = create_engine(database_url)
    yield created
    created.dispose()


def rows(engine: Engine, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    tables = {
        "rm_users": ("users", "grants", "trading_settings", "tokens"),
        "rm_audit": ("entries",),
        "rm_trading": (
            "trades",
            "sessions",
            "accounts",
            "orders",
            "equity_history",
            "funding",
            "income",
        ),
        "rm_credentials": ("credentials",),
        "rm_bots": ("bots",),
        "rm_notifications": ("notifications", "deliveries", "preferences"),
    }[schema]
    with engine.connect() as connection:
        return {
            table: sorted(
                tuple(map(str, row))
                for row in connection.execute(text(f"SELECT * FROM {schema}.{table}"))
            )
            for table in tables
        }


async def test_live_tokens_are_checked_in_one_query_by_the_same_rules(
    event_store: EventStore, engine: Engine
) -> None:
    """The live-socket check asks for every token of the process at once (it runs every
    half second over hundreds of tokens); revoked, expired and locked owners' tokens are
    not live, exactly as for one token."""
    await a_small_world(event_store)  # alice's live token "ab"*32; bob is locked
    past = datetime.now(UTC) - timedelta(minutes=1)
    tokens = (
        ("alice", "tok2", "cd" * 32, None),  # revoked below
        ("alice", "tok3", "ef" * 32, past),  # expired
        ("bob", "tok4", "12" * 32, None),  # owner locked
        ("admin1", "tok5", "34" * 32, None),  # live
    )
    for owner, token_id, digest, expires in tokens:
        created = user_ev.AccessTokenCreated(
            token_id=token_id, name="t", scope="read", token_sha256=digest, expires_at=expires
        )
        await append(event_store, "user", owner, created)
    last = await append(event_store, "user", "alice", user_ev.AccessTokenRevoked(token_id="tok2"))
    models = ReadModels(engine, event_store)
    await models.runners["users"].run(until=last)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    asked = {"ab" * 32, "cd" * 32, "ef" * 32, "12" * 32, "34" * 32, "56" * 32}
    with engine.connect() as c:
        event.listen(c, "before_cursor_execute", count)
        live = live_tokens(c, asked)
        event.remove(c, "before_cursor_execute", count)
        assert live == {"ab" * 32: "trader", "34" * 32: "admin"}
        assert len(statements) == 1, statements
        for digest in asked:  # one token at a time: the same answer
            found = users.token_owner(c, digest)
            assert (found is not None) == (digest in live), digest


async def test_a_valuation_is_one_statement_whatever_it_changes(
    event_store: EventStore, engine: Engine
) -> None:
    """A valuation writes the account, the live session's balance, three equity buckets,
    the buckets no longer kept and each open position's liquidation price: in one round
    trip to PostgreSQL (it was 4 + one per position; a valuation follows every trade, and
    the live sockets' frames wait for the trading read model)."""
    await a_small_world(event_store)  # alice: session s1, open trades t2 (ETH short), t4
    models = ReadModels(engine, event_store)
    runner = models.runners["trading"]
    await runner.run(until=await event_store.last_sequence())
    later = T0 + timedelta(days=3)  # the 5-minute bucket of T0 is kept 2 days
    valued = trade_ev.AccountValued(
        balance=Decimal("2490"),
        equity=Decimal("2480.5"),
        available_margin=Decimal("2000"),
        unrealised_pnl=Decimal("-9.5"),
        valued_at=later,
        liquidation_prices=[
            trade_ev.LiquidationPrice(symbol="ETH-USDT", direction="short", price=Decimal(3500)),
            trade_ev.LiquidationPrice(symbol="XRP-USDT", direction="long", price=Decimal("0.4")),
        ],
    )
    last = await append(event_store, "account", "alice", valued)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        await runner.run(until=last)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # the run's own (its schema's check, the checkpoint) aside, what the event wrote
    written = [sql for sql in statements if "rm_trading." in sql and "_checkpoint" not in sql]
    assert len(written) == 1, written

    with engine.connect() as c:
        account = c.execute(text("SELECT balance, equity FROM rm_trading.accounts")).one()
        assert account == (Decimal("2490"), Decimal("2480.5"))
        session = "SELECT current_balance FROM rm_trading.sessions WHERE session_id = 's1'"
        assert c.execute(text(session)).scalar_one() == Decimal("2490")
        liquidation = "SELECT trade_id, liquidation_price FROM rm_trading.trades"
        found = {r[0]: r[1] for r in c.execute(text(liquidation + " WHERE status = 'open'"))}
        assert found == {"t2": Decimal(3500), "t4": Decimal("0.4")}
        buckets = "SELECT resolution, bucket FROM rm_trading.equity_history"
        kept = sorted((r[0], r[1]) for r in c.execute(text(buckets)))
        # T0's 5-minute bucket is gone (older than 2 days); its hour and day are kept
        assert ("5m", T0) not in kept and ("1h", T0) in kept and ("5m", later) in kept
        assert {resolution for resolution, _ in kept} == {"5m", "1h", "1d"}


async def test_projections_answer_the_gateways_queries_and_rebuild_identically(
    event_store: EventStore, engine: Engine
) -> None:
    await a_small_world(event_store)
    last = await append(event_store, "history", "alice", *imported_income())
    models = ReadModels(engine, event_store)
    for runner in models.runners.values():
        until = await runner.store.last_sequence()  # telemetry's: a stream of its own
        assert await runner.run(until=until) == until
    assert await models.caught_up(models.following_log, last, timeout=1)

    with engine.connect() as c:
        alice = users.user_row(c, "alice")
        assert alice is not None and alice["role"] == "trader"
        assert [g.trader_id for g in users.grants_of(c, "vera")] == ["alice"]
        assert users.is_granted(c, "vera", "alice") and not users.is_granted(c, "vera", "bob")
        assert users.settings_of(c, "alice").max_positions == 3
        assert users.settings_of(c, "bob").max_positions == 2  # the product default
        owner = users.token_owner(c, "ab" * 32)
        assert owner is not None and (owner.user_id, owner.scope) == ("alice", "read")
        bob = users.get_user(c, "bob")
        assert bob is not None and bob.locked
        assert credential_of(c, "alice").api_key_last4 == "9XkQ"
        status = views.status_of(c, "alice")
        assert status is not None and views.status_of(c, "nobody") is None
        assert status.username == "alice" and status.trading_enabled
        open_position = status.positions[0]
        assert (open_position.quantity, open_position.stop_price) == (
            Decimal("0.500000000000000001"),
            Decimal("3100.25"),
        )
        assert open_position.opened_at == T0 and open_position.direction == "short"
        assert status.bot.status == "paused"
        assert [p.trade_id for p in status.positions] == ["t2", "t4"]  # t4: its partial fill
        pending = trading.pending_orders_of(c, "alice")
        assert [(o.client_order_id, o.status, o.filled_quantity) for o in pending] == [
            ("t3", "pending", Decimal(0)),
            ("t4", "partially_filled", Decimal("0.4")),
        ]
        assert status.account is not None and status.account.equity == Decimal("2511")
        stats = trading.stats_of(c, "alice")
        assert (stats.trades, stats.wins, stats.losses, stats.win_rate) == (1, 1, 0, Decimal(100))
        assert stats.pnl_all_time == Decimal("9.5")
        assert (stats.profit_factor, stats.average_win, stats.average_loss) == (
            None,  # no losing trade
            Decimal("9.50"),
            None,
        )
        assert (stats.funding, stats.max_drawdown_pct) == (Decimal("-0.5"), Decimal(0))
        income = history.income_history(c, "alice", history.IncomeFilter(), None, 10).items
        # the funding fee seen live (income-1) and imported (tranId 1) is one row
        listed = [
            r.model_dump(include={"income_id", "income_type", "imported_from"}) for r in income
        ]
        assert [tuple(r.values()) for r in listed] == [
            ("2", "TRADING_FEE", "bingx"),
            ("1", "FUNDING_FEE", "bingx"),
        ]
        fees = history.IncomeFilter(income_type="FUNDING_FEE")
        assert len(history.income_history(c, "alice", fees, None, 10).items) == 1
        curve = equity_reads.equity_of(c, "alice", now=T0 + timedelta(hours=1))
        assert [(p.at, p.equity) for p in curve.points] == [(T0, Decimal("2511"))]
        assert [(d.day, d.pnl) for d in curve.daily_pnl] == [(T0.date(), Decimal(0))]
        long_after = equity_reads.equity_of(c, "alice", now=T0 + timedelta(days=90))
        assert [p.at for p in long_after.points] == [T0.replace(hour=0)]  # the daily point
        session = trading.session_of(c, "alice", "s1")
        assert session is not None and (session.status, session.trades, session.wins) == (
            "paused",
            1,
            1,
        )
        # the trade's 9.5 and the funding fee paid (-0.5)
        assert session.total_pnl == Decimal("9.0") and session.current_balance == Decimal("2509.5")
        page = trading.trades_page(c, "alice", trading.TradeFilter(symbol="ETH-USDT"), 10, 0)
        assert page.total == 0  # t2 is still open
        assert trading.decisions_page(c, "alice", None, 10, 0).items[0].numbers == {"open": "3"}
        actions = {e.action for e in audit_page(c, AuditFilter(), 50, 0).items}
        # the owner's own start is not an audit entry; the automatic pause is
        assert actions == {
            "admin.dashboard.view",
            "user.locked",
            "user.access_token_created",
            "credential.connected",
            "bot.paused",
        }
        assert audit_page(c, AuditFilter(action="credential."), 50, 0).total == 1
        overview = views.overview(c)
        assert (overview.traders, overview.paused_bots) == (2, 1)

    before = {
        schema: rows(engine, schema)
        for schema in ("rm_users", "rm_audit", "rm_trading", "rm_credentials", "rm_bots")
    }
    for runner in models.runners.values():
        await runner.rebuild()
    after = {schema: rows(engine, schema) for schema in before}
    assert after == before


def _created(n: int, recipient: str) -> note_ev.NotificationCreated:
    return note_ev.NotificationCreated(
        notification_id=f"n{n}",
        recipient_id=recipient,
        kind="bot_paused",
        title="Your bot was paused",
        body=f"reason {n}",
        source_event_id=f"e{n}",
    )


async def test_notifications_per_recipient_read_markers_outcomes_and_rebuild(
    event_store: EventStore, engine: Engine
) -> None:
    for n in range(3):
        await append(event_store, "notification", "alice", _created(n, "alice"))
    await append(event_store, "notification", "bob", _created(9, "bob"))
    failed = note_ev.NotificationFailed(
        delivery_id="d1", notification_id="n0", channel="webhook", error="webhook: 500"
    )
    await append(event_store, "notification", "alice", failed)
    # bob names alice's notification: nothing of hers changes
    await append(
        event_store, "notification", "bob", note_ev.NotificationsRead(notification_ids=["n1"])
    )
    await append(
        event_store, "notification", "alice", note_ev.NotificationsRead(notification_ids=["n2"])
    )
    prefs = note_ev.NotificationPreferencesSet(
        kinds={"bot_paused": note_ev.ChannelChoice(email=False, webhook=True)},
        webhook_url="https://hooks.example.com/x",
    )
    last = await append(event_store, "notify_prefs", "alice", prefs)
    models = ReadModels(engine, event_store)
    runner = models.runners["notifications"]
    assert await runner.run(until=last) == last

    with engine.connect() as c:
        page = notes.notifications_page(c, "alice", NotificationsQuery(limit=2))
        assert [i.notification_id for i in page.items] == ["n2", "n1"]  # newest first
        assert page.unread == 2 and page.next_cursor is not None
        assert [i.read for i in page.items] == [True, False]
        rest = notes.notifications_page(c, "alice", NotificationsQuery(before=page.next_cursor))
        assert [i.notification_id for i in rest.items] == ["n0"] and rest.next_cursor is None
        assert [(d.channel, d.outcome) for d in rest.items[0].deliveries] == [("webhook", "failed")]
        unread = notes.notifications_page(c, "alice", NotificationsQuery(unread=True))
        assert [i.notification_id for i in unread.items] == ["n1", "n0"]
        assert notes.unread_count(c, "bob") == 1
        mine = notes.preferences_of(c, "alice")
        assert mine.kinds["bot_paused"].webhook and not mine.kinds["bot_paused"].email
        assert mine.webhook_url == "https://hooks.example.com/x"
        assert notes.preferences_of(c, "bob").default.in_app  # the defaults
        summary = notes.failures_since(c, datetime.now(UTC) - timedelta(hours=1))
        assert summary.total == 1 and summary.groups[0].users == 1

    before = rows(engine, "rm_notifications")
    await runner.rebuild()
    assert rows(engine, "rm_notifications") == before


INSTANCE = Path(__file__).with_name("read_model_instance.py")


def _leading(output: Path) -> set[str]:
    lines = [line for line in output.read_text().splitlines() if line.startswith("leading")]
    return set(lines[-1].split()[1:]) if lines else set()


def _wait_for(check: Callable[[], bool], within_s: float) -> float:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < within_s, "not reached in time"
        time.sleep(0.05)
    return time.monotonic() - started


async def test_one_runner_per_read_model_across_instances_and_a_standby_takes_over(
    event_store: EventStore, engine: Engine, nats_url: str, database_url: str, tmp_path: Path
) -> None:
    """Two instances (as two gateway workers or replicas): each read model is applied by
    exactly one; SIGKILL that one and the other takes every read model over within
    seconds; the tables then equal a rebuild from the log (nothing applied twice)."""
    await ensure_platform(event_store.nc.jetstream(), event_store.spec)
    await a_small_world(event_store)
    names = set(ReadModels(engine, event_store).runners)
    outputs = [tmp_path / "a.out", tmp_path / "b.out"]
    instances = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(INSTANCE),
            nats_url,
            event_store.spec.name,
            event_store.spec.prefix,
            database_url,
            f"instance-{n}",
            stdout=output.open("w"),
        )
        for n, output in enumerate(outputs)
    ]
    try:

        def divided() -> bool:
            a, b = (_leading(output) for output in outputs)
            return a | b == names and not a & b

        await asyncio.to_thread(_wait_for, divided, 60)
        models = ReadModels(engine, event_store)
        on_log = models.following_log
        assert await models.caught_up(on_log, await event_store.last_sequence(), timeout=30)
        leader = 0 if _leading(outputs[0]) else 1
        instances[leader].send_signal(signal.SIGKILL)
        await instances[leader].wait()
        # written while nobody leads some read models: the survivor applies them
        last = await append(event_store, "user", "alice", user_ev.ViewerGrantGiven(trader_id="bob"))
        survivor = outputs[1 - leader]
        took = await asyncio.to_thread(_wait_for, lambda: _leading(survivor) == names, 20)
        assert await models.caught_up(on_log, last, timeout=30)
    finally:
        for instance in instances:
            if instance.returncode is None:
                instance.kill()
                await instance.wait()
    print(f"takeover after SIGKILL: {took:.1f} s")
    live = {schema: rows(engine, schema) for schema in _SCHEMAS}
    for runner in models.runners.values():
        await runner.rebuild()
    assert {schema: rows(engine, schema) for schema in _SCHEMAS} == live


_SCHEMAS = ("rm_users", "rm_audit", "rm_trading", "rm_credentials", "rm_bots", "rm_notifications")


def test_a_live_frame_waits_only_for_the_read_models_that_apply_its_events(
    event_store: EventStore, engine: Engine
) -> None:
    """The live hub sends a frame once the read models a reload would read have applied
    it: those whose projections apply its event, not every read model of the page."""
    models = ReadModels(engine, event_store)
    names = ("users", "credentials", "bots", "trading")
    assert models.using(names, {"trading.account_valued"}) == ["trading"]
    assert models.using(names, {"credential.connected"}) == ["credentials"]
    assert "users" in models.using(names, {"user.viewer_grant_given"})
    assert models.using(names, {"nothing.of_theirs"}) == []
