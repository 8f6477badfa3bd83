"""The period closer on a real NATS stream: the hand-computed 8-month path (deposits,
withdrawals, losses, new highs) read from the trading account's valuations and transfers,
closed once per trader and period, by two closers at once and again after a restart; a
trader on a priced plan without fee terms invoiced the plan price each period."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import pytest

from fleet.auth.accounts import AuthDeps
from fleet.auth.adapters.clock import ManualClock
from fleet.auth.period_close import PeriodCloser, keep_closing, keep_reading_terms
from fleet.auth.subscribers import HANDLERS, answer
from fleet.billing import MONTHLY
from fleet.events import AggregateId, AggregateRef, DomainEvent, auth_commands, wrap
from fleet.events.billing import (
    BILLING_AGGREGATE,
    FeeTermsSet,
    InvoiceStatusSet,
    PeriodClosed,
    PlanAssigned,
    PlanLimits,
)
from fleet.events.commands import Actor, CommandReply
from fleet.events.trading import ACCOUNT_AGGREGATE, AccountValued, TransferRecorded
from fleet.events.users import USER_AGGREGATE, UserDeleted
from fleet.eventstore import EventStore

pytestmark = pytest.mark.integration

D = Decimal
USER = "trader-1"
# month, end equity, deposits, withdrawals | expected fee, mark after (20 %, from 1,000)
PATH = [
    (1, "1200", "0", "0", "40", "1200"),  # a new high
    (2, "1100", "0", "0", "0", "1200"),  # a loss, carried
    (3, "1650", "500", "0", "0", "1700"),  # a deposit is no profit
    (4, "1800", "0", "0", "20", "1800"),  # recovers past the mark
    (5, "1000", "0", "900", "20", "1000"),  # a withdrawal lowers the mark
    (6, "950", "0", "0", "0", "1000"),  # a small loss
    (7, "700", "0", "300", "0", "700"),  # out at the mark
    (8, "770", "0", "0", "14", "770"),  # a new high
]


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


async def put(store: EventStore, kind: str, aggregate_id: str, event: DomainEvent) -> None:
    ref = AggregateRef(type=kind, id=AggregateId(aggregate_id))
    await store.append(ref, [wrap(event, ref)], None)


async def user_event(store: EventStore, user_id: str, event: DomainEvent, when: datetime) -> None:
    ref = AggregateRef(type=USER_AGGREGATE, id=AggregateId(user_id))
    envelope = wrap(event, ref).model_copy(update={"occurred_at": when})
    await store.append(ref, [envelope], None)


async def assign(store: EventStore, user_id: str, plan: PlanLimits, when: datetime) -> None:
    await user_event(store, user_id, PlanAssigned(plan=plan, assigned_by="admin-1"), when)


async def valued(store: EventStore, user_id: str, when: datetime, equity: str) -> None:
    value = AccountValued(
        balance=D(equity),
        equity=D(equity),
        available_margin=D(equity),
        unrealised_pnl=D(0),
        valued_at=when,
    )
    await put(store, ACCOUNT_AGGREGATE, user_id, value)


async def the_path(store: EventStore) -> None:
    starter = PlanLimits(name="Starter", price=D("29"))
    await put(store, USER_AGGREGATE, USER, PlanAssigned(plan=starter, assigned_by="admin-1"))
    terms = FeeTermsSet(rate=D("0.2"), starts_on=date(2026, 1, 1), set_by="admin-1")
    await put(store, USER_AGGREGATE, USER, terms)

    await valued(store, USER, at(1, 1, 0), "1000")
    for month, end, deposit, withdrawal, _fee, _mark in PATH:
        for amount in (D(deposit), -D(withdrawal)):
            if amount:
                moved = TransferRecorded(
                    transfer_id=f"income-{month}", amount=amount, moved_at=at(month, 10)
                )
                await put(store, ACCOUNT_AGGREGATE, USER, moved)
        await valued(store, USER, at(month, 28), end)


async def read_terms(closer: PeriodCloser, *users: str) -> None:
    reader = asyncio.create_task(keep_reading_terms(closer.store, closer.book))
    for _ in range(200):
        if USER in closer.book.terms and {USER, *users} <= closer.book.plans.keys():
            break
        await asyncio.sleep(0.02)
    reader.cancel()


async def test_the_hand_computed_path_is_closed_once_by_two_closers(
    event_store: EventStore,
) -> None:
    await the_path(event_store)
    clock = ManualClock(at(9, 1, 0).replace(minute=5))
    first, second = (PeriodCloser(event_store, MONTHLY, clock) for _ in range(2))
    await read_terms(first)
    await read_terms(second)
    one, two = await asyncio.gather(first.close_due(), second.close_due())
    assert [c.period for c in one] == [f"2026-{m:02d}" for m, *_ in PATH]
    assert one == two  # the same closes, whoever appended each
    for close, (month, end, deposit, withdrawal, fee, mark) in zip(one, PATH, strict=True):
        got = (close.end_equity, close.deposits, close.withdrawals, close.fee, close.mark_after)
        assert got == (D(end), D(deposit), D(withdrawal), D(fee), D(mark)), month
        assert (close.plan, close.plan_price) == ("Starter", D(29))
    assert sum(close.fee for close in one) == D(94)
    assert one[2].sentence.startswith("March 2026: equity 1,100.00 → 1,650.00 USDT, deposits")
    for close in one:  # each period's aggregate holds exactly one event
        ref = AggregateRef(type=BILLING_AGGREGATE, id=AggregateId(f"{USER}_{close.period}"))
        assert len(await event_store.load(ref)) == 1

    restarted = PeriodCloser(event_store, MONTHLY, clock)
    await read_terms(restarted)
    assert await restarted.close_due() == one  # read back, nothing appended again
    assert await first.close_due() == []  # it remembers the last close: nothing due
    clock.advance(at(10, 1, 0) - at(9, 1, 0))
    [september] = await first.close_due()  # no valuation in September: equity unchanged
    assert (september.period, september.start_equity, september.fee) == ("2026-09", D(770), D(0))
    assert september.mark_before == D(770)


async def test_an_admin_marks_a_closed_periods_invoice(
    event_store: EventStore, deps: AuthDeps
) -> None:
    await the_path(event_store)
    closer = PeriodCloser(event_store, MONTHLY, ManualClock(at(2, 1, 1)))
    await read_terms(closer)
    [january] = await closer.close_due()
    admin = Actor(user_id="admin-1", role="admin", ip="198.51.100.1")

    async def mark(period: str, status: str) -> CommandReply:
        command = auth_commands.SetInvoiceStatus
        body = command(
            user_id=USER, period=period, status=status, note="wire 42", actor=admin
        ).model_dump_json()
        return await answer(command, HANDLERS[command], body.encode(), lambda: deps)

    paid = await mark(january.period, "paid")
    assert paid.error is None and paid.data["changed"]
    again = await mark(january.period, "paid")
    assert not again.data["changed"]
    february = await mark("2026-02", "waived")  # not closed yet
    assert february.error is not None and february.error.code == "not_found"
    bad = await mark("2026.02", "paid")
    assert bad.error is not None and bad.error.code == "invalid"
    ref = AggregateRef(type=BILLING_AGGREGATE, id=AggregateId(f"{USER}_2026-01"))
    events = [event_store.registry.decode(e) for e in await event_store.load(ref)]
    assert [type(e) for e in events][1:] == [InvoiceStatusSet]


async def test_a_priced_plan_is_invoiced_each_period_without_fee_terms(
    event_store: EventStore,
) -> None:
    await the_path(event_store)
    await assign(event_store, "pro", PlanLimits(name="Pro", price=D("49")), at(2, 15))
    await valued(event_store, "pro", at(2, 15), "500")
    await valued(event_store, "pro", at(3, 20), "800")  # a gain, but no fee terms
    await assign(event_store, "no-key", PlanLimits(name="Pro", price=D("49")), at(3, 2))
    await assign(event_store, "free", PlanLimits(name="Free"), at(1, 2))
    await assign(event_store, "gone", PlanLimits(name="Pro", price=D("49")), at(2, 3))
    await user_event(event_store, "gone", UserDeleted(), at(3, 10))
    await valued(event_store, "free", at(2, 15), "500")
    clock = ManualClock(at(5, 1, 0).replace(minute=5))
    closer = PeriodCloser(event_store, MONTHLY, clock)
    await read_terms(closer, "pro", "no-key", "free", "gone")
    closes = await closer.close_due(["pro", "no-key", "free", "gone"])

    pro = [c for c in closes if c.user_id == "pro"]
    assert [c.period for c in pro] == ["2026-02", "2026-03", "2026-04"]
    assert {(c.plan, c.plan_price, c.fee, c.rate) for c in pro} == {("Pro", D(49), D(0), D(0))}
    assert (pro[1].start_equity, pro[1].end_equity, pro[1].mark_after) == (D(500), D(800), D(800))
    no_key = [c for c in closes if c.user_id == "no-key"]
    assert [c.period for c in no_key] == ["2026-03", "2026-04"]  # from the plan's month
    assert {(c.end_equity, c.fee, c.plan_price) for c in no_key} == {(D(0), D(0), D(49))}
    assert no_key[0].sentence.startswith("March 2026: no valuation of the account")
    assert not [c for c in closes if c.user_id == "free"]  # neither terms nor a price
    gone = [c.period for c in closes if c.user_id == "gone"]
    assert gone == ["2026-02", "2026-03"]  # deleted in March: his last invoice

    await valued(event_store, "no-key", at(5, 3), "1000")  # a key connected in May
    await valued(event_store, "no-key", at(5, 30), "1100")
    clock.advance(at(6, 1, 0) - at(5, 1, 0))
    restarted = PeriodCloser(event_store, MONTHLY, clock)
    await read_terms(restarted, "pro", "no-key", "free")
    again = await restarted.close_due(["pro", "no-key"])
    assert [c for c in again if c.period != "2026-05"] == pro + no_key  # read back
    assert [c.period for c in again if c.user_id == "pro"][-1] == "2026-05"
    [may] = [c for c in again if c.user_id == "no-key" and c.period == "2026-05"]
    assert (may.start_equity, may.mark_before, may.end_equity) == (D(1000), D(1000), D(1100))
    assert (may.fee, may.plan_price) == (D(0), D(49))


async def test_a_restarted_closer_reads_the_close_under_an_invoice_status(
    event_store: EventStore,
) -> None:
    """An admin's ``InvoiceStatusSet`` follows the close in its aggregate: a closer that
    walks the period again (after a restart) must read the close, not the last event."""
    await the_path(event_store)
    clock = ManualClock(at(3, 1, 0).replace(minute=5))
    closer = PeriodCloser(event_store, MONTHLY, clock)
    await read_terms(closer)
    closes = await closer.close_due()
    paid = InvoiceStatusSet(status="paid", set_by="admin-1", note="wire 42")
    await put(event_store, BILLING_AGGREGATE, f"{USER}_2026-01", paid)

    restarted = PeriodCloser(event_store, MONTHLY, clock)
    await read_terms(restarted)
    assert await restarted.close_due() == closes  # read back, the status set skipped


class SlowLog:
    """The event store, but its followers read the first event and then wait for
    ``more``: a terms reader that has not caught up yet."""

    def __init__(self, store: EventStore) -> None:
        self.store, self.more = store, asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def follow(self, **kwargs: Any) -> AsyncIterator[object]:
        read = 0
        async for item in self.store.follow(**kwargs):
            if read == 1:
                await self.more.wait()
            read += 1
            yield item


async def test_no_period_is_closed_before_the_terms_are_read(event_store: EventStore) -> None:
    """The reader has the priced plan but not yet the fee terms after it: a pass then
    would close January at rate 0, for good (a close is appended once)."""
    await assign(event_store, USER, PlanLimits(name="Starter", price=D("29")), at(1, 1, 0))
    await the_path(event_store)
    log = SlowLog(event_store)
    closer = PeriodCloser(cast(EventStore, log), MONTHLY, ManualClock(at(2, 1, 1)))
    closing = asyncio.create_task(keep_closing(closer, every_s=0.01))
    ref = AggregateRef(type=BILLING_AGGREGATE, id=AggregateId(f"{USER}_2026-01"))
    try:
        await asyncio.sleep(0.3)
        assert await event_store.load(ref) == []  # not before the reader caught up
        log.more.set()
        for _ in range(200):
            if await event_store.load(ref):
                break
            await asyncio.sleep(0.02)
    finally:
        closing.cancel()
    [january] = [event_store.registry.decode(e) for e in await event_store.load(ref)]
    assert isinstance(january, PeriodClosed)
    assert (january.rate, january.fee) == (D("0.2"), D(40))


class CountingLog:
    """The event store, counting the loads of a trading account's stream."""

    def __init__(self, store: EventStore) -> None:
        self.store, self.account_loads = store, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def load_stored(self, ref: AggregateRef, **kwargs: Any) -> Any:
        self.account_loads += ref.type == ACCOUNT_AGGREGATE
        return await self.store.load_stored(ref, **kwargs)


async def test_a_pass_with_nothing_due_does_not_read_the_account(
    event_store: EventStore,
) -> None:
    """Almost every pass has nothing to close: it must not load the trader's whole
    account stream to find that out."""
    await the_path(event_store)
    log = CountingLog(event_store)
    clock = ManualClock(at(2, 1, 1))
    closer = PeriodCloser(cast(EventStore, log), MONTHLY, clock)
    await read_terms(closer)
    assert [c.period for c in await closer.close_due()] == ["2026-01"]
    log.account_loads = 0
    clock.advance(at(2, 20) - at(2, 1, 1))  # February still running
    assert await closer.close_due() == []
    assert log.account_loads == 0
    clock.advance(at(3, 1, 1) - at(2, 20))
    assert [c.period for c in await closer.close_due()] == ["2026-02"]
    assert log.account_loads == 1


async def test_a_period_is_closed_once_its_transfers_are_recorded(
    event_store: EventStore,
) -> None:
    """The executor may record a transfer up to an hour after it was made: a period
    closed at its end would count a late deposit as profit. It waits ``settle``."""
    await the_path(event_store)
    late = TransferRecorded(transfer_id="late-1", amount=D(100), moved_at=at(2, 28, 23))
    clock = ManualClock(at(3, 1, 0).replace(minute=30))
    closer = PeriodCloser(event_store, MONTHLY, clock, settle=timedelta(hours=1))
    await read_terms(closer)
    assert [c.period for c in await closer.close_due()] == ["2026-01"]  # not February yet
    await put(event_store, ACCOUNT_AGGREGATE, USER, late)  # recorded 40 minutes late
    clock.advance(timedelta(minutes=31))
    [february] = await closer.close_due()
    assert (february.period, february.deposits, february.end_equity) == ("2026-02", D(100), D(1100))
