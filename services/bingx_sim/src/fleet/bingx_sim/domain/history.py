"""An account's past, as BingX keeps it (API.md §4.2, §4.3): fills and income rows of up to
90 days, served a bounded window and a bounded number of rows per answer (``income``: its
``limit``, at most 1000).

BingX documents no widest ``allFillOrders`` window; ccxt asks 30 days by default and that
works live, so the simulator refuses a wider one (80014), and a client that pages by
shorter windows works on both. How many rows one answer holds is not documented either:
the simulator caps it (``rows_max``, 1000 unless a test lowers it) and keeps the newest,
so a client must split a full window, never trust one answer to be complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from fleet.bingx_sim.domain.accounts import Account, SimError, SimOrder, next_order_id
from fleet.bingx_sim.domain.engine import Engine, FillReport

DAY_MS = 24 * 3_600_000
KEPT_MS = 90 * DAY_MS  # "only 3 months kept"
FILL_WINDOW_MAX_MS = 30 * DAY_MS
ROWS_MAX = 1000
FEE_RATE = Decimal("0.0005")


@dataclass
class HistoryRules:
    """How much of the past one answer gives (a test lowers ``rows_max`` to force pages)."""

    rows_max: int = ROWS_MAX

    def check_fill_window(self, start_ms: int | None, end_ms: int | None) -> None:
        if start_ms is None or end_ms is None:
            return
        if end_ms < start_ms:
            raise SimError(80014, "Invalid parameters, endTs must not be before startTs")
        if end_ms - start_ms > FILL_WINDOW_MAX_MS:
            raise SimError(80014, "Invalid parameters, the query range is more than thirty days")

    def kept(
        self, rows: list[dict[str, object]], at_key: str, now_ms: int
    ) -> list[dict[str, object]]:
        """The rows BingX still keeps (the last 90 days), in time order."""
        return [row for row in rows if int(str(row[at_key])) >= now_ms - KEPT_MS]

    def page(self, rows: list[dict[str, object]]) -> list[dict[str, object]]:
        """What one ``allFillOrders`` answer holds: the newest ``rows_max``."""
        return rows[-self.rows_max :]


@dataclass(frozen=True)
class PastTrades:
    """What :func:`seed_round_trips` wrote (for a test's expectations)."""

    round_trips: int
    fills: int
    realised_pnl: Decimal
    fees: Decimal
    income_rows: int


def seed_round_trips(  # noqa: PLR0913 - one knob per keyword, all with defaults but two
    engine: Engine,
    account: Account,
    now_ms: int,
    *,
    round_trips: int,
    days: int,
    symbol: str = "BTC-USDT",
    price: Decimal = Decimal(60000),
    quantity: Decimal = Decimal("0.01"),
) -> PastTrades:
    """``round_trips`` closed trades spread over the last ``days`` days (each opened, then
    closed an hour later, long and short in turn, wins and losses), with their fills and
    their TRADING_FEE and REALIZED_PNL income rows, as if traded then."""
    span = days * DAY_MS - 2 * 3_600_000
    pnl = fees = Decimal(0)
    before = len(account.income)
    for n in range(round_trips):
        opened_ms = now_ms - days * DAY_MS + span * n // max(round_trips, 1) + 60_000
        long = n % 2 == 0
        move = Decimal((n % 5) - 2) * 50 or Decimal(25)  # -100 .. +100 a coin, never 0
        exit_price = price + move
        realised = (exit_price - price) * quantity * (1 if long else -1)
        side = "LONG" if long else "SHORT"
        for at_ms, order_side, at_price, gain in (
            (opened_ms, "BUY" if long else "SELL", price, Decimal(0)),
            (opened_ms + 3_600_000, "SELL" if long else "BUY", exit_price, realised),
        ):
            fee = quantity * at_price * FEE_RATE
            _past_fill(
                engine,
                account,
                (symbol, order_side, side),
                quantity=quantity,
                price=at_price,
                fee=fee,
                realised=gain,
                at_ms=at_ms,
            )
            fees += fee
        pnl += realised
    account.fills.sort(key=lambda row: int(str(row["_ms"])))
    account.income.sort(key=lambda row: int(str(row["time"])))
    return PastTrades(round_trips, 2 * round_trips, pnl, fees, len(account.income) - before)


def _past_fill(  # noqa: PLR0913 - the fill's figures
    engine: Engine,
    account: Account,
    order_of: tuple[str, str, str],
    *,
    quantity: Decimal,
    price: Decimal,
    fee: Decimal,
    realised: Decimal,
    at_ms: int,
) -> None:
    symbol, side, position_side = order_of
    order = SimOrder(
        order_id=next_order_id(),
        client_order_id="",
        symbol=symbol,
        side=side,
        position_side=position_side,
        type="MARKET",
        quantity=quantity,
        status="FILLED",
        executed=quantity,
        avg_price=price,
        cum_quote=quantity * price,
        commission=fee,
        profit=realised,
        time_ms=at_ms,
        update_ms=at_ms,
    )
    account.orders[order.order_id] = order
    Engine.record(
        account, order, FillReport(engine.new_trade_id(), quantity, price, fee, realised), at_ms
    )
