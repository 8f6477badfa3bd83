"""Trades from fills and from what BingX reports."""

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from fleet.events import AggregateId, DomainEvent
from fleet.events.trading import (
    AccountValued,
    FundingPaid,
    OrderAccepted,
    OrderFilled,
    OrderIntended,
    PositionChanged,
    PositionOpened,
    SignalEvaluated,
)
from fleet.executor.domain.account import TradingAccount
from fleet.executor.domain.ids import client_order_id
from fleet.executor.domain.positions import (
    ExchangeView,
    ended_from,
    fill_from,
    missing,
    reconcile,
    vanished,
)
from fleet.executor.ports import ExchangeBalance, ExchangeFill, ExchangePosition, OrderReport

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
FEE = Decimal("0.0005")
BALANCE = ExchangeBalance(Decimal(1000), Decimal(1000), Decimal(900), Decimal(0))


def order(leg: str, side: str) -> OrderIntended:
    return OrderIntended(
        client_order_id=f"fl{leg}",
        signal_id="s1",
        leg=leg,
        symbol="BTC-USDT",
        side=side,
        position_side="LONG",
        order_type="MARKET",
        quantity=Decimal(2),
        leverage=5,
        stop_loss=Decimal(90),
    )


def accepted(account: TradingAccount, intent: OrderIntended, order_id: str) -> None:
    account.apply(intent)
    account.apply(
        OrderAccepted(
            client_order_id=intent.client_order_id, exchange_order_id=order_id, status="NEW"
        )
    )


def queried(intent: OrderIntended, order_id: str, fills: list[tuple[str, str]]) -> OrderReport:
    """The query's answer after ``fills``: totals only."""
    cumulative = sum((Decimal(q) for q, _ in fills), Decimal(0))
    value = sum((Decimal(q) * Decimal(p) for q, p in fills), Decimal(0))
    return OrderReport(
        client_order_id=intent.client_order_id,
        exchange_order_id=order_id,
        status="FILLED" if cumulative == intent.quantity else "PARTIALLY_FILLED",
        cumulative_quantity=cumulative,
        average_price=value / cumulative,
        reported_by="query",
        at=NOW,
        fee=value * FEE,
    )


def streamed(intent: OrderIntended, order_id: str, fills: list[tuple[str, str]]) -> OrderReport:
    """The stream's report after ``fills`` (quantity, price): the totals, and the last one
    named with its fee."""
    last_q, last_p = fills[-1]
    return replace(
        queried(intent, order_id, fills),
        reported_by="stream",
        fee=Decimal(last_q) * Decimal(last_p) * FEE,
        realised_pnl=Decimal(0),
        last_quantity=Decimal(last_q),
        last_price=Decimal(last_p),
    )


def record(account: TradingAccount, report: OrderReport) -> OrderFilled | None:
    filled = fill_from(account, report)
    if filled is not None:
        account.apply(filled)
    return filled


def opened(account: TradingAccount) -> TradingAccount:
    entry = order("entry", "BUY")
    accepted(account, entry, "1")
    record(account, streamed(entry, "1", [("2", "100")]))
    return account


def test_an_accepted_order_is_pending_and_opens_nothing_until_it_fills() -> None:
    account = TradingAccount(AggregateId("u1"))
    entry = order("entry", "BUY")
    accepted(account, entry, "1")
    assert account.orders[entry.client_order_id].pending and account.trades == {}
    nothing = replace(streamed(entry, "1", [("2", "100")]), cumulative_quantity=Decimal(0))
    assert fill_from(account, nothing) is None


def test_three_partial_fills_make_one_trade_at_the_fills_size_and_average_price() -> None:
    account = TradingAccount(AggregateId("u1"))
    entry = order("entry", "BUY")
    accepted(account, entry, "7")
    fills = [("0.5", "100"), ("1", "101"), ("0.5", "103")]
    events = [record(account, streamed(entry, "7", fills[: n + 1])) for n in range(3)]
    assert [e.order_status for e in events if e] == ["PARTIALLY_FILLED"] * 2 + ["FILLED"]
    assert events[0] is not None and events[0].opened is not None
    assert events[2] is not None and events[2].changed is not None
    trade = account.held("BTC-USDT")
    assert trade is not None and not trade.manual
    assert trade.quantity == Decimal(2) and trade.entry_price == Decimal("101.25")
    assert trade.fees == Decimal("202.5") * FEE
    assert entry.client_order_id not in account.orders  # filled: no longer live
    position = ExchangePosition(
        "BTC-USDT", "long", "LONG", Decimal(2), Decimal("101.25"), 5, Decimal(0)
    )
    assert not any(
        isinstance(e, PositionOpened | PositionChanged)
        for e in reconcile(account, ExchangeView([position], BALANCE, NOW))
    )


def test_the_entry_price_is_the_fills_total_value_over_their_size_with_no_rounding_drift() -> None:
    """An average that does not divide evenly is not carried rounded into the next fill:
    the entry is the fills' total value over their total size (a running average drifts
    in the 28th digit here)."""
    account = TradingAccount(AggregateId("u1"))
    fills = [("0.3", "101.3"), ("1", "99.7"), ("0.1", "100"), ("0.003", "100.1"), ("0.3", "99.7")]
    size = sum((Decimal(q) for q, _ in fills), Decimal(0))
    value = sum((Decimal(q) * Decimal(p) for q, p in fills), Decimal(0))
    entry = order("entry", "BUY").model_copy(update={"quantity": size})
    accepted(account, entry, "9")
    for n in range(len(fills)):
        record(account, streamed(entry, "9", fills[: n + 1]))
    trade = account.held("BTC-USDT")
    assert trade is not None and trade.quantity == size
    assert trade.entry_price == value / size


def test_the_same_fill_by_stream_and_by_query_is_recorded_once() -> None:
    account = TradingAccount(AggregateId("u1"))
    entry = order("entry", "BUY")
    accepted(account, entry, "7")
    by_stream = record(account, streamed(entry, "7", [("0.5", "100")]))
    assert record(account, queried(entry, "7", [("0.5", "100")])) is None
    assert record(account, streamed(entry, "7", [("0.5", "100")])) is None
    by_query = record(account, queried(entry, "7", [("0.5", "100"), ("1.5", "104")]))
    assert by_stream is not None and by_query is not None
    assert by_stream.fill_id == "7:0.5" and by_query.fill_id == "7:2"
    assert by_query.quantity == Decimal("1.5") and by_query.price == Decimal(104)
    assert by_query.fee == Decimal("1.5") * Decimal(104) * FEE  # the total less what was paid
    late = streamed(entry, "7", [("0.5", "100"), ("1.5", "104")])
    assert record(account, late) is None
    trade = account.held("BTC-USDT")
    assert trade is not None and trade.quantity == Decimal(2)


def test_a_stream_report_after_a_missed_one_waits_for_the_query() -> None:
    account = TradingAccount(AggregateId("u1"))
    entry = order("entry", "BUY")
    accepted(account, entry, "7")
    assert fill_from(account, streamed(entry, "7", [("0.5", "100"), ("1", "101")])) is None


def test_partial_exits_then_the_last_close_the_trade_with_pnl_and_every_fee() -> None:
    account = opened(TradingAccount(AggregateId("u1")))
    exit_order = order("exit", "SELL")
    accepted(account, exit_order, "9")
    first = record(account, streamed(exit_order, "9", [("1", "110")]))
    assert first is not None and first.changed is not None
    assert first.changed.quantity == Decimal(1)
    last = record(account, streamed(exit_order, "9", [("1", "110"), ("1", "120")]))
    assert last is not None and last.closed is not None
    closed = last.closed
    fees = (Decimal(200) + Decimal(110) + Decimal(120)) * FEE
    assert closed.quantity == Decimal(2) and closed.exit_price == Decimal(115)
    assert closed.fees == fees and closed.realised_pnl == Decimal(30) - fees
    assert closed.reason == "opposite signal" and not closed.manual
    assert account.held("BTC-USDT") is None


def test_a_cancelled_order_ends_after_its_fills() -> None:
    account = TradingAccount(AggregateId("u1"))
    entry = order("entry", "BUY")
    accepted(account, entry, "7")
    record(account, streamed(entry, "7", [("0.5", "100")]))
    report = replace(queried(entry, "7", [("0.5", "100")]), status="CANCELED")
    ended = ended_from(account, report)
    assert ended is not None and ended.status == "CANCELLED"
    assert ended.filled_quantity == Decimal("0.5")
    account.apply(ended)
    assert entry.client_order_id not in account.orders


def test_a_position_filling_is_not_marked_manual_and_a_difference_is_with_its_reason() -> None:
    account = TradingAccount(AggregateId("u1"))
    entry = order("entry", "BUY")
    accepted(account, entry, "7")
    position = ExchangePosition("BTC-USDT", "long", "LONG", Decimal(2), Decimal(100), 5, Decimal(0))
    seen = ExchangeView([position], BALANCE, NOW)
    assert not any(isinstance(e, PositionOpened) for e in reconcile(account, seen))
    record(account, streamed(entry, "7", [("2", "100")]))
    bigger = ExchangePosition("BTC-USDT", "long", "LONG", Decimal(3), Decimal(100), 5, Decimal(0))
    [changed] = [
        e
        for e in reconcile(account, ExchangeView([bigger], BALANCE, NOW))
        if isinstance(e, PositionChanged)
    ]
    assert changed.manual and changed.reason is not None and "explain 2" in changed.reason


def test_a_position_opened_by_hand_is_recorded_as_manual() -> None:
    seen = ExchangeView(
        [ExchangePosition("ETH-USDT", "short", "SHORT", Decimal(3), Decimal(2000), 3, Decimal(0))],
        BALANCE,
        NOW,
    )
    events = reconcile(TradingAccount(AggregateId("u1")), seen)
    [opened_by_hand] = [e for e in events if isinstance(e, PositionOpened)]
    assert opened_by_hand.manual and opened_by_hand.direction == "short"
    assert any(isinstance(e, AccountValued) for e in events)


def test_a_changed_size_is_recorded_and_an_unchanged_account_records_nothing() -> None:
    account = opened(TradingAccount(AggregateId("u1")))
    same = ExchangePosition("BTC-USDT", "long", "LONG", Decimal(2), Decimal(100), 5, Decimal(0))
    account.apply(reconcile(account, ExchangeView([same], BALANCE, NOW))[-1])
    assert reconcile(account, ExchangeView([same], BALANCE, NOW)) == []
    bigger = ExchangePosition("BTC-USDT", "long", "LONG", Decimal(3), Decimal(101), 5, Decimal(0))
    [changed] = reconcile(account, ExchangeView([bigger], BALANCE, NOW))
    assert isinstance(changed, PositionChanged) and changed.quantity == Decimal(3)


def test_a_trade_gone_from_bingx_is_closed_at_its_fills_price() -> None:
    account = opened(TradingAccount(AggregateId("u1")))
    seen = ExchangeView([], BALANCE, NOW)
    [trade] = missing(account, seen)
    at_stop = vanished(
        trade, [ExchangeFill("", "SELL", Decimal("90.1"), Decimal(2), Decimal("0.1"))], NOW
    )
    assert at_stop.reason == "stop-loss on BingX" and not at_stop.manual
    entry_fee = Decimal(200) * FEE  # paid when the entry filled
    assert at_stop.realised_pnl == Decimal("-19.8") - Decimal("0.1") - entry_fee
    by_hand = vanished(trade, [ExchangeFill("", "SELL", Decimal(120), Decimal(2), Decimal(0))], NOW)
    assert by_hand.manual and by_hand.realised_pnl == Decimal(40) - entry_fee


def test_fill_rows_without_side_count_unless_they_are_fleet_s_own() -> None:
    account = opened(TradingAccount(AggregateId("u1")))
    [trade] = missing(account, ExchangeView([], BALANCE, NOW))
    entry = client_order_id("signal-1", "u1", "entry")
    fills = [
        ExchangeFill(entry, None, Decimal(100), Decimal(2), Decimal("0.1")),  # the entry itself
        ExchangeFill("", None, Decimal("90.1"), Decimal(2), Decimal("0.1")),  # the stop fired
    ]
    closed = vanished(trade, fills, NOW)
    assert closed.reason == "stop-loss on BingX" and closed.exit_price == Decimal("90.1")


def _valued_at(account: TradingAccount, equity: str, unrealised: str, at: datetime) -> bool:
    """Poll once with these figures; True when a valuation was recorded (and apply it)."""
    balance = ExchangeBalance(Decimal(1000), Decimal(equity), Decimal(500), Decimal(unrealised))
    events = [
        e for e in reconcile(account, ExchangeView([], balance, at)) if isinstance(e, AccountValued)
    ]
    for event in events:
        account.apply(event)
    return bool(events)


@pytest.mark.parametrize(
    ("equity", "unrealised", "after", "recorded"),
    [
        ("1000.50", "0.50", timedelta(seconds=30), False),  # 0.05 %, same sign, 30 s: a poll
        ("1001.50", "1.50", timedelta(seconds=30), True),  # 0.15 % moved
        ("999.90", "-0.10", timedelta(seconds=30), True),  # unrealised PnL changed sign
        ("1000.50", "0.50", timedelta(minutes=5), True),  # the coarse interval passed
        ("1000.10", "0.10", timedelta(minutes=10), False),  # nothing changed at all
    ],
)
def test_a_valuation_is_recorded_on_a_meaningful_change_or_the_coarse_interval_not_every_poll(
    equity: str, unrealised: str, after: timedelta, recorded: bool
) -> None:
    start = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    account = TradingAccount(AggregateId("u1"))
    assert _valued_at(account, "1000.10", "0.10", start)  # the first of the day: recorded
    assert _valued_at(account, equity, unrealised, start + after) is recorded


def test_a_day_of_30_s_polls_with_a_drifting_position_records_a_few_valuations_not_2880() -> None:
    start = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
    account = TradingAccount(AggregateId("u1"))
    recorded = 0
    for poll in range(2880):  # equity wanders +-0.03 % around 1000, pnl stays positive
        drift = Decimal((poll * 7919) % 61 - 30) / 100
        recorded += _valued_at(
            account, str(1010 + drift), str(10 + drift), start + poll * timedelta(seconds=30)
        )
    assert recorded <= 24 * 12 + 1  # at most one per 5 minutes
    assert account.valuation.equity >= Decimal("1009.6")


def _an_accounts_history() -> list[DomainEvent]:
    """Decisions, an entry filled in two parts, a valuation, funding, a manual change,
    an exit filled: what one trader's account folds (the events, in order)."""
    account, events = TradingAccount(AggregateId("u1")), []
    entry, exit_ = order("entry", "BUY"), order("exit", "SELL")

    def keep(event: DomainEvent | None) -> None:
        if event is not None:
            account.apply(event)
            events.append(event)

    keep(
        SignalEvaluated(
            signal_id="s1",
            symbol="BTC-USDT",
            decision="entry",
            code="accepted",
            reason="entry: up cross",
            numbers={"adx": "30"},
            intents=(entry,),
        )
    )
    keep(OrderAccepted(client_order_id=entry.client_order_id, exchange_order_id="1", status="NEW"))
    keep(fill_from(account, streamed(entry, "1", [("1", "100")])))
    keep(fill_from(account, streamed(entry, "1", [("1", "100"), ("1", "102")])))
    balance = ExchangeBalance(Decimal(1000), Decimal("1003.5"), Decimal(700), Decimal("3.5"))
    for event in reconcile(account, ExchangeView([], balance, NOW)):
        if isinstance(event, AccountValued):
            keep(event)
    keep(FundingPaid(funding_id="f1", amount=Decimal("-0.4"), paid_at=NOW, reported_by="query"))
    keep(exit_)
    keep(OrderAccepted(client_order_id=exit_.client_order_id, exchange_order_id="2", status="NEW"))
    keep(fill_from(account, streamed(exit_, "2", [("2", "104")])))
    return events


@pytest.mark.parametrize("cut", range(len(_an_accounts_history()) + 1))
def test_an_accounts_snapshot_and_its_tail_fold_to_the_state_of_the_whole_history(
    cut: int,
) -> None:
    history = _an_accounts_history()
    full, head = TradingAccount(AggregateId("u1")), TradingAccount(AggregateId("u1"))
    for event in history:
        full.apply(event)
    for event in history[:cut]:
        head.apply(event)
    resumed = TradingAccount(AggregateId("u1"))
    resumed.restore_state(json.loads(json.dumps(head.snapshot_state())))  # as stored
    for event in history[cut:]:
        resumed.apply(event)
    assert resumed.snapshot_state() == full.snapshot_state()
    assert resumed.trades == full.trades and resumed.orders == full.orders
    assert resumed.evaluated("s1") and full.evaluated("s1")
    assert resumed.funding == full.funding == Decimal("-0.4")
    assert resumed.settled(exit_id := order("exit", "SELL").client_order_id) == full.settled(
        exit_id
    )


def test_an_account_snapshot_of_another_shape_does_not_restore() -> None:
    state = TradingAccount(AggregateId("u1")).snapshot_state()
    del state["trades"]
    with pytest.raises(ValueError, match="trades"):
        TradingAccount(AggregateId("u1")).restore_state(state)


def test_a_valuation_records_bingx_s_liquidation_prices_of_the_open_positions() -> None:
    shown = ExchangePosition(
        "ETH-USDT", "short", "SHORT", Decimal(3), Decimal(2000), 3, Decimal(0), Decimal("2650.5")
    )
    none = ExchangePosition("BTC-USDT", "long", "LONG", Decimal(1), Decimal(100), 5, Decimal(0))
    events = reconcile(TradingAccount(AggregateId("u1")), ExchangeView([shown, none], BALANCE, NOW))
    [valued] = [e for e in events if isinstance(e, AccountValued)]
    assert [(p.symbol, p.direction, p.price) for p in valued.liquidation_prices] == [
        ("ETH-USDT", "short", Decimal("2650.5"))  # BingX's 0 (none) is left out
    ]
    old = valued.model_dump(mode="json")
    del old["liquidation_prices"]  # a valuation recorded before the field existed
    assert AccountValued.model_validate(old).liquidation_prices == []
