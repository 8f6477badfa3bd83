"""The period closer: at each period's end, every trader with fee terms or on a priced
plan gets a ``billing.period_closed`` (his statement and invoice: plan price +
performance fee). A trader on a priced plan without fee terms is closed at rate 0 from
the day he was put on a priced plan; a period without a valuation of his account (no key
connected yet) is closed with zero figures and no fee, so the plan is still invoiced.

It runs in the auth service because auth is the one writer of ``ev.billing.*`` (NATS
permissions) and already keeps what a close needs from the trader: his fee terms and his
plan (``ev.user.<id>``). The numbers come from the executor's events on his trading
account (``ev.account.<id>``: valuations and transfers), read, never written, and the
arithmetic is ``fleet.billing``'s (the same the gateway's running estimate uses).

Safe with several replicas and restarts: a close is the first and only event of
``ev.billing.<user>_<period>``, appended at version 0 with an id derived from that
aggregate, so a second closer's append of the same close is a stored duplicate or a
conflict, never a second close."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from fleet.auth.ports import Clock
from fleet.billing import (
    FeeTerms,
    Period,
    PeriodClose,
    PeriodScheme,
    carried_mark,
    unvalued_period,
)
from fleet.billing.ledger import AccountHistory, Transfer, Valuation, close_in, fee_start
from fleet.events import AggregateId, AggregateRef, wrap
from fleet.events.aggregate import idempotent_id
from fleet.events.billing import (
    BILLING_AGGREGATE,
    FeeTermsSet,
    PeriodClosed,
    PlanAssigned,
    PlanLimits,
    close_id,
)
from fleet.events.subjects import aggregate_type_subject
from fleet.events.trading import ACCOUNT_AGGREGATE, AccountValued, TransferRecorded
from fleet.events.users import USER_AGGREGATE, UserDeleted
from fleet.eventstore import ConcurrencyError, EventStore
from fleet.eventstore.store import StoredEvent, position_of
from fleet.obs import count_unexpected, get_logger

BOOK_TYPES = frozenset({FeeTermsSet.event_type, PlanAssigned.event_type, UserDeleted.event_type})


@dataclass
class FeeBook:
    """Each trader's fee terms and plan, as his user events say (followed from the log),
    since when he has been on a priced plan, when he was deleted (his last period is the
    one he was deleted in), and the last period closed for him (so a pass starts after it)."""

    terms: dict[str, FeeTermsSet] = field(default_factory=dict)
    plans: dict[str, PlanLimits] = field(default_factory=dict)
    priced_since: dict[str, datetime] = field(default_factory=dict)
    deleted_at: dict[str, datetime] = field(default_factory=dict)
    closed: dict[str, tuple[Period, Decimal | None]] = field(default_factory=dict)
    caught_up: asyncio.Event = field(default_factory=asyncio.Event)

    def apply(self, user_id: str, event: object, at: datetime) -> None:
        if isinstance(event, FeeTermsSet):
            self.terms[user_id] = event
        elif isinstance(event, PlanAssigned):
            self.plans[user_id] = event.plan
            if event.plan.price <= 0:
                self.priced_since.pop(user_id, None)
            else:  # a plan's change is stamped again: the first priced one counts
                self.priced_since.setdefault(user_id, at)
        elif isinstance(event, UserDeleted):
            self.deleted_at[user_id] = at

    def billed(self) -> list[str]:
        """Every trader with fee terms or on a priced plan."""
        return list(self.terms.keys() | self.priced_since.keys())

    def accounting(self, user_id: str) -> tuple[FeeTerms, date | datetime] | None:
        """The trader's fee terms and their start: his own, or rate 0 from the day he was
        put on a priced plan; ``None`` with neither."""
        if (terms := self.terms.get(user_id)) is not None:
            return FeeTerms(terms.rate), terms.starts_on
        if (since := self.priced_since.get(user_id)) is not None:
            return FeeTerms(Decimal(0)), since
        return None


async def keep_reading_terms(store: EventStore, book: FeeBook) -> None:
    """Follow every user's fee terms and plan into ``book`` (from the start of the log);
    ``book.caught_up`` is set once it has read what the log held when it started, so no
    period is closed from half-read terms (a close is appended once: a wrong one stays)."""
    subject = aggregate_type_subject(store.spec.prefix, USER_AGGREGATE)
    last = await store.last_sequence_of(subject)
    if last == 0:
        book.caught_up.set()
    async for item in store.follow(subject=subject, types=BOOK_TYPES):
        if isinstance(item, StoredEvent):
            book.apply(item.envelope.aggregate.id, item.event, item.envelope.occurred_at)
        if position_of(item) >= last:
            book.caught_up.set()


async def account_history(store: EventStore, user_id: str) -> AccountHistory:
    """The trader's valuations and transfers, each in time order."""
    stored, _ = await store.load_stored(
        AggregateRef(type=ACCOUNT_AGGREGATE, id=AggregateId(user_id))
    )
    valuations = [
        Valuation(e.valued_at, e.equity)
        for e in (item.event for item in stored)
        if isinstance(e, AccountValued)
    ]
    transfers = [
        Transfer(e.moved_at, e.amount)
        for e in (item.event for item in stored)
        if isinstance(e, TransferRecorded)
    ]
    return AccountHistory(
        sorted(valuations, key=lambda v: v.at), sorted(transfers, key=lambda t: t.at)
    )


def as_moment(start: date | datetime) -> datetime:
    if isinstance(start, datetime):
        return start
    return datetime.combine(start, datetime.min.time(), UTC)


def closed_event(user_id: str, close: PeriodClose, plan: PlanLimits | None) -> PeriodClosed:
    return PeriodClosed.model_validate(
        close.figures()
        | {
            "user_id": user_id,
            "plan": plan.name if plan else "",
            "plan_price": plan.price if plan else Decimal(0),
        }
    )


@dataclass
class PeriodCloser:
    store: EventStore
    scheme: PeriodScheme
    clock: Clock
    book: FeeBook = field(default_factory=FeeBook)
    # how long after its end a period is closed: a transfer may be recorded late
    settle: timedelta = timedelta(0)

    async def close_due(self, users: Iterable[str] | None = None) -> list[PeriodClosed]:
        """Close every ended period not closed yet, for ``users`` (default: every trader
        with fee terms or on a priced plan); returns the closes this pass appended or
        found stored. A period is closed ``settle`` after its end, once the executor has
        recorded its transfers (a late deposit would count as profit)."""
        now = self.clock() - self.settle
        done: list[PeriodClosed] = []
        for user_id in list(users if users is not None else self.book.billed()):
            done += await self._close_user(user_id, now)
        return done

    async def _close_user(self, user_id: str, now: datetime) -> list[PeriodClosed]:
        accounting = self.book.accounting(user_id)
        if accounting is None:
            return []
        terms, starts_on = accounting
        if not self._any_ended(user_id, as_moment(starts_on), now):
            return []  # the usual pass: spare loading his whole account stream
        plan = self.book.plans.get(user_id)
        priced = plan is not None and plan.price > 0
        history = await account_history(self.store, user_id)
        begin = fee_start(history, starts_on)
        if begin is None and not priced:
            return []  # no valuation yet and nothing to invoice: nothing to close
        # a priced plan is invoiced from its start, valued or not; a fee from its first valuation
        first, mark = self._resume(user_id, as_moment(starts_on) if priced or not begin else begin)
        done = []
        gone = self.book.deleted_at.get(user_id)
        for period in self.scheme.ended(first.starts_at, now):
            if gone is not None and period.starts_at > gone:
                break  # a deleted trader's last invoice is the period he left in
            close = close_in(
                history, period, begin or as_moment(starts_on), period.ends_at, mark, terms
            )
            if close is None and not priced:
                continue
            event = await self._append_once(
                user_id, period, close or unvalued_period(period, terms)
            )
            mark = carried_mark(event.mark_after)
            self.book.closed[user_id] = (period, mark)
            done.append(event)
        return done

    def _any_ended(self, user_id: str, start: datetime, now: datetime) -> bool:
        """Whether a period may be due, before the account is read: the fee's accounting
        never begins before its start date, so none from it ended means none is due."""
        first, _ = self._resume(user_id, start)
        return next(iter(self.scheme.ended(first.starts_at, now)), None) is not None

    def _resume(self, user_id: str, start: datetime) -> tuple[Period, Decimal | None]:
        """The first period to close from ``start``, and the mark before it: after the
        last one this closer closed, if that is later (its mark chains on)."""
        first = self.scheme.of(start)
        last = self.book.closed.get(user_id)
        if last is not None and last[0].starts_at >= first.starts_at:
            return last[0].next(), last[1]
        return first, None

    async def _append_once(self, user_id: str, period: Period, close: PeriodClose) -> PeriodClosed:
        """``close`` appended as the period's one event, or the one already stored."""
        ref = AggregateRef(type=BILLING_AGGREGATE, id=AggregateId(close_id(user_id, period.key)))
        stored = await self._stored_close(ref)
        if stored is None:
            event = closed_event(user_id, close, self.book.plans.get(user_id))
            envelope = wrap(event, ref, event_id=idempotent_id(ref, event))
            try:
                await self.store.append(ref, [envelope], 0)
            except ConcurrencyError:  # another closer was first: take its numbers
                stored = await self._stored_close(ref)
            if stored is None:
                get_logger().info("period closed", user=user_id, period=period.key)
                return event
        return stored

    async def _stored_close(self, ref: AggregateRef) -> PeriodClosed | None:
        """The period's close: its aggregate's first event, not its last (an admin's
        ``InvoiceStatusSet`` follows it there); ``None`` before the close."""
        stored, _ = await self.store.load_stored(ref)
        if not stored:
            return None
        first = stored[0].event
        if not isinstance(first, PeriodClosed):
            raise TypeError(f"{ref.id} does not start with its close")
        return first


async def keep_closing(closer: PeriodCloser, every_s: float) -> None:
    """Close due periods every ``every_s`` seconds until cancelled; a failed pass is
    logged and the next one tries again (each close is appended once). No pass runs before
    the terms reader has caught up with the log."""
    reader = asyncio.create_task(keep_reading_terms(closer.store, closer.book))
    try:
        while True:
            await asyncio.sleep(every_s)
            if reader.done():
                reader.result()  # a failed reader fails the loop (supervise restarts it)
            if not closer.book.caught_up.is_set():
                continue
            try:
                await closer.close_due()
            except Exception as exc:
                count_unexpected("auth.period_close")
                get_logger().warning("periods not closed", error=type(exc).__name__)
    finally:
        reader.cancel()
