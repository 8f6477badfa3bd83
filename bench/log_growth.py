"""Log growth: bytes per trader per day, by event kind, before and after issue 22's limits.

No timing (reliable on a loaded machine): a realistic day of one trader's ``account``
aggregate is generated with the real event models and envelopes, and each message is
sized as JetStream stores it (subject + headers + the envelope's wire bytes + the file
store's per-record overhead).

The day: one 5-minute stream of one symbol (288 candles, each a ``trading.signal_evaluated``
for the trader), three round trips (six DI crosses: an entry and an exit each, with their
accepted order and fill), a position open half the day (08:00-20:00), and BingX polled every
30 s while it is open (equity follows a random walk of the price, seeded).

Printed: per kind, events and bytes per day
  * before: every decision and every valuation that moved ≥ 0.01 USDT in ``FLEET_EVENTS``;
  * FLEET_EVENTS now: valuations only on a meaningful change or every 5 min (the
    executor's ``_worth_recording``, run here on the same polls), and every decision but
    the routine skips;
  * FLEET_TELEMETRY now: the routine skips (``fleet.events.trading.routine``: no cross, a
    position already held), published there without an expected-sequence header and
    kept 30 days.

Usage: ``.venv/bin/python bench/log_growth.py [--traders N] [--symbols N] [--seed N]``.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fleet.events import AggregateId, AggregateRef, DomainEvent, Envelope, aggregate_subject, wrap
from fleet.events.aggregate import idempotent_id
from fleet.events.trading import (
    AccountValued,
    OrderAccepted,
    OrderFilled,
    OrderIntended,
    PositionClosed,
    PositionOpened,
    SignalEvaluated,
    routine,
)
from fleet.eventstore.publish import headers_for
from fleet.executor.domain.account import TradingAccount
from fleet.executor.domain.ids import client_order_id
from fleet.executor.domain.positions import ExchangeView, reconcile
from fleet.executor.ports import ExchangeBalance
from fleet.strategy.domain.rule import signal_id

# nats-server's file store: a record header (22 bytes) and a checksum (8) per message.
RECORD_OVERHEAD = 30
CANDLE = timedelta(minutes=5)
POLL = timedelta(seconds=30)
DAY = datetime(2026, 1, 5, tzinfo=UTC)
USER = "01JH4Z8Q3W6X0Y5T2V7R9K1M3N"  # a ULID-sized user id, as the auth service mints
CROSS_CANDLES = (96, 98, 140, 150, 200, 230)  # entry, exit, entry, exit, entry, exit
OPEN_FROM, OPEN_UNTIL = 96, 240  # candles: a position open 08:00-20:00 (about)


@dataclass
class Tally:
    """Events and stored bytes per kind."""

    events: Counter[str]
    size: Counter[str]
    legacy: bool = False  # before issue 22: the type and version headers too

    @classmethod
    def empty(cls, *, legacy: bool = False) -> Tally:
        return cls(Counter(), Counter(), legacy)

    def add(self, kind: str, envelope: Envelope, *, telemetry: bool = False) -> None:
        self.events[kind] += 1
        self.size[kind] += stored_bytes(envelope, telemetry=telemetry, legacy=self.legacy)

    def total(self) -> int:
        return sum(self.size.values())


def stored_bytes(envelope: Envelope, *, telemetry: bool = False, legacy: bool = False) -> int:
    """What one event costs in its stream: subject, headers, payload, record overhead (an
    append to the log carries its expected sequence; a telemetry publish does not; before
    issue 22 every event also carried ``Fleet-Event-Type`` and ``Fleet-Schema-Version``)."""
    subject = aggregate_subject("tm" if telemetry else "ev", envelope.aggregate)
    headers = headers_for(envelope, expected=None if telemetry else 1_234_567)
    if legacy:
        headers |= {"Fleet-Event-Type": envelope.type, "Fleet-Schema-Version": "1"}
    header_block = len("NATS/1.0\r\n\r\n") + sum(len(k) + len(v) + 4 for k, v in headers.items())
    return len(subject) + header_block + len(envelope.to_wire()) + RECORD_OVERHEAD


def _ref() -> AggregateRef:
    return AggregateRef(type="account", id=AggregateId(USER))


def _wrapped(event: DomainEvent) -> Envelope:
    ref = _ref()
    return wrap(event, ref, event_id=idempotent_id(ref, event))


def _decision(symbol: str, candle: int, price: Decimal, held: bool) -> SignalEvaluated:
    ident = signal_id("di_adx", 1, symbol, "5m", int((DAY + candle * CANDLE).timestamp() * 1000))
    numbers = {
        "adx": "23.4512",
        "confidence": "0.6132",
        "close": str(price),
        "age_s": "0.412",
    }
    if candle in CROSS_CANDLES:
        leg = "exit" if CROSS_CANDLES.index(candle) % 2 else "entry"
        intent = OrderIntended(
            client_order_id=client_order_id(ident, USER, leg),
            signal_id=ident,
            leg=leg,
            symbol=symbol,
            side="BUY" if leg == "entry" else "SELL",
            position_side="LONG",
            order_type="MARKET",
            quantity=Decimal("0.012"),
            leverage=5,
            stop_loss=price * Decimal("0.98") if leg == "entry" else None,
            intended_at=DAY + candle * CANDLE,
        )
        return SignalEvaluated(
            signal_id=ident,
            symbol=symbol,
            decision=leg,
            code="accepted" if leg == "entry" else "opposite_cross",
            reason=f"{leg}: up cross, long {symbol}",
            numbers={**numbers, "quantity": "0.012", "margin": "29.86"},
            intents=(intent,),
        )
    code, reason = (
        ("holding", f"no order: holding a long {symbol} position")
        if held
        else ("no_cross", "no order: no DI cross on this candle")
    )
    return SignalEvaluated(
        signal_id=ident,
        symbol=symbol,
        decision="skip",
        code=code,
        reason=reason,
        numbers=numbers,
    )


def _order_events(decision: SignalEvaluated, price: Decimal, at: datetime) -> Iterator[DomainEvent]:
    """The accepted order and its fill, with what the fill did to the trade."""
    intent = decision.intents[0]
    entry = intent.leg == "entry"
    yield OrderAccepted(
        client_order_id=intent.client_order_id,
        exchange_order_id="1873465923874650112",
        status="NEW",
    )
    trade = f"{decision.symbol}-{intent.client_order_id[:12]}"
    opened = PositionOpened(
        trade_id=trade,
        symbol=decision.symbol,
        position_side="LONG",
        direction="long",
        quantity=intent.quantity,
        entry_price=price,
        leverage=5,
        stop_price=intent.stop_loss,
        opened_at=at,
        signal_id=decision.signal_id,
        fees=Decimal("0.0149"),
    )
    closed = PositionClosed(
        trade_id=trade,
        symbol=decision.symbol,
        position_side="LONG",
        quantity=intent.quantity,
        entry_price=price,
        exit_price=price * Decimal("1.004"),
        realised_pnl=Decimal("0.4812"),
        fees=Decimal("0.0298"),
        closed_at=at,
        reason="opposite signal",
    )
    yield OrderFilled(
        fill_id=f"1873465923874650112:{intent.quantity}",
        client_order_id=intent.client_order_id,
        exchange_order_id="1873465923874650112",
        symbol=decision.symbol,
        side=intent.side,
        position_side="LONG",
        price=price,
        quantity=intent.quantity,
        cumulative_quantity=intent.quantity,
        fee=Decimal("0.0149"),
        order_status="FILLED",
        filled_at=at,
        reported_by="stream",
        opened=opened if entry else None,
        closed=None if entry else closed,
    )


def _old_policy(last: AccountValued | None, new: AccountValued) -> bool:
    """Before issue 22: any move of 0.01 USDT (equity or balance) or a new day."""
    if last is None or last.valued_at.date() != new.valued_at.date():
        return True
    step = Decimal("0.01")
    return abs(new.equity - last.equity) >= step or abs(new.balance - last.balance) >= step


def _decisions(
    tallies: tuple[Tally, Tally, Tally], candle: int, symbols: int, price: Decimal
) -> None:
    before, after, telemetry = tallies
    held = OPEN_FROM <= candle < OPEN_UNTIL
    for n in range(symbols):
        symbol = "BTC-USDT" if n == 0 else f"S{n}-USDT"
        decision = _decision(symbol, candle, price, held)
        envelope = _wrapped(decision)
        kind = "signal_evaluated " + (decision.code if routine(decision) else decision.decision)
        before.add(kind, envelope)
        if routine(decision):
            telemetry.add(kind, envelope, telemetry=True)
        else:
            after.add(kind, envelope)
        if decision.intents:
            for event in _order_events(decision, price, DAY + candle * CANDLE):
                kind = event.event_type.removeprefix("trading.")
                before.add(kind, _wrapped(event))
                after.add(kind, _wrapped(event))


class _Valuations:
    """The 30 s polls: what the old rule and the executor's present rule record."""

    def __init__(self, before: Tally, after: Tally) -> None:
        self.before, self.after = before, after
        self.account = TradingAccount(AggregateId(USER))
        self.last_old: AccountValued | None = None

    def poll(self, at: datetime, pnl: Decimal) -> None:
        balance = ExchangeBalance(Decimal(1000), 1000 + pnl, Decimal(940), pnl)
        old = AccountValued(
            balance=balance.balance,
            equity=balance.equity,
            available_margin=balance.available_margin,
            unrealised_pnl=pnl,
            valued_at=at,
        )
        if _old_policy(self.last_old, old):
            self.last_old = old
            self.before.add("account_valued", _wrapped(old))
        for event in reconcile(self.account, ExchangeView([], balance, at)):
            if isinstance(event, AccountValued):
                self.account.apply(event)
                self.after.add("account_valued", _wrapped(event))


def one_day(symbols: int, seed: int) -> tuple[Tally, Tally, Tally]:
    """(before, FLEET_EVENTS now, FLEET_TELEMETRY now) for one trader's day."""
    rng = random.Random(seed)
    tallies = (Tally.empty(legacy=True), Tally.empty(), Tally.empty())
    valuations = _Valuations(tallies[0], tallies[1])
    price = Decimal("97000.0")
    valuations.poll(DAY, Decimal(0))  # the day's first valuation
    for candle in range(288):
        _decisions(tallies, candle, symbols, price)
        if not OPEN_FROM <= candle < OPEN_UNTIL:
            continue  # BingX is polled for valuations only while a position is open
        for poll in range(10):  # 30 s polls inside this candle
            price = (price * (1 + Decimal(rng.gauss(0, 0.0004)))).quantize(Decimal("0.1"))
            pnl = ((price - Decimal(97000)) * Decimal("0.012")).quantize(Decimal("0.0001"))
            valuations.poll(DAY + candle * CANDLE + poll * POLL, pnl)
    return tallies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traders", type=int, default=1)
    parser.add_argument("--symbols", type=int, default=1)
    parser.add_argument("--seed", type=int, default=22)
    args = parser.parse_args()
    before, after, telemetry = one_day(args.symbols, args.seed)
    kinds = sorted(set(before.size) | set(after.size) | set(telemetry.size))
    print(f"one trader, {args.symbols} symbol(s) x 288 five-minute candles, 30 s polls")
    print(
        f"{'kind':<32}{'before ev':>10}{'bytes':>10}{'EVENTS ev':>10}{'bytes':>10}"
        f"{'TELEMETRY ev':>14}{'bytes':>10}"
    )
    for kind in kinds:
        print(
            f"{kind:<32}{before.events[kind]:>10}{before.size[kind]:>10}"
            f"{after.events[kind]:>10}{after.size[kind]:>10}"
            f"{telemetry.events[kind]:>14}{telemetry.size[kind]:>10}"
        )
    print(
        f"{'total / trader / day':<32}{sum(before.events.values()):>10}{before.total():>10}"
        f"{sum(after.events.values()):>10}{after.total():>10}"
        f"{sum(telemetry.events.values()):>14}{telemetry.total():>10}"
    )
    _summary(before, after, telemetry, args.traders)


def _summary(before: Tally, after: Tally, telemetry: Tally, traders: int) -> None:
    def line(what: str, size: int) -> str:
        share = f"{size / before.total():.0%} of before"
        return f"{what:<46}{size:>10} B/trader/day  {size * traders / 1e6:8.3f} MB/day  {share}"

    print(f"bytes per day, {traders} trader(s):")
    print(line("FLEET_EVENTS before (everything, forever)", before.total()))
    skips_in_log = sum(before.size[kind] for kind in telemetry.size)
    print(line("FLEET_EVENTS before the split (skips in it)", after.total() + skips_in_log))
    print(line("FLEET_EVENTS now (state changes, forever)", after.total()))
    print(line("FLEET_TELEMETRY now (routine skips, 30 days)", telemetry.total()))
    print(f"FLEET_TELEMETRY held at steady state: {telemetry.total() * traders * 30 / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
