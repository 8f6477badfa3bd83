"""What the executor needs from the outside, named by capability."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol

from fleet.events import EventId
from fleet.events.trading import FundingPaid, OrderIntended, SignalEvaluated, TransferRecorded
from fleet.executor.errors import ExecutorError


@dataclass(frozen=True)
class ExchangeOrder:
    """An order as the exchange knows it."""

    client_order_id: str
    exchange_order_id: str
    status: str
    average_price: Decimal | None
    executed_quantity: Decimal
    fee: Decimal = Decimal(0)  # paid by its fills so far (positive)
    realised_pnl: Decimal | None = None  # BingX's figure for its fills so far


@dataclass(frozen=True)
class OrderReport:
    """What BingX says about one order's progress, on the user-data stream or by query.

    ``cumulative_quantity`` and ``average_price`` cover every fill so far. A stream report
    also names its last fill (``last_quantity`` at ``last_price``, ``fee`` and
    ``realised_pnl`` of that fill); a query report does not, its ``fee`` and
    ``realised_pnl`` are the order's totals so far."""

    client_order_id: str
    exchange_order_id: str
    status: str
    cumulative_quantity: Decimal
    average_price: Decimal | None
    reported_by: Literal["stream", "query"]
    at: datetime
    fee: Decimal = Decimal(0)  # paid (positive)
    fee_asset: str = "USDT"
    realised_pnl: Decimal | None = None
    last_quantity: Decimal | None = None
    last_price: Decimal | None = None


@dataclass(frozen=True)
class ExchangePosition:
    """An open position as the exchange reports it."""

    symbol: str
    direction: Literal["long", "short"]
    position_side: Literal["LONG", "SHORT", "BOTH"]
    quantity: Decimal
    entry_price: Decimal
    leverage: int
    unrealised_pnl: Decimal
    liquidation_price: Decimal = Decimal(0)  # 0: BingX shows none


@dataclass(frozen=True)
class ExchangeBalance:
    balance: Decimal
    equity: Decimal
    available_margin: Decimal
    unrealised_pnl: Decimal


@dataclass(frozen=True)
class ExchangeFill:
    """One fill; ``side`` is ``None`` when BingX leaves it out (its recorded fill rows do)."""

    client_order_id: str
    side: Literal["BUY", "SELL"] | None
    price: Decimal
    quantity: Decimal
    fee: Decimal


@dataclass(frozen=True)
class ExchangeStop:
    """A resting stop-loss (``STOP_MARKET``) order on the exchange."""

    client_order_id: str
    exchange_order_id: str
    side: Literal["BUY", "SELL"]
    position_side: Literal["LONG", "SHORT", "BOTH"]
    quantity: Decimal
    stop_price: Decimal


class OrderRefused(ExecutorError):
    """The exchange answered and refused the order (a final outcome), or it was never
    sent because it could not be signed (``bingx_code`` is then ``None``)."""

    error_code = "order_refused"

    def __init__(self, message: str, bingx_code: int | None) -> None:
        super().__init__(message)
        self.bingx_code = bingx_code


class OutcomeUnknown(ExecutorError):
    """No answer (timeout, connection lost): the order may or may not exist."""

    error_code = "outcome_unknown"


class StreamExpired(OutcomeUnknown):
    """BingX no longer knows the listenKey (HTTP 404 on keep-alive): open a new one."""

    error_code = "stream_expired"


class Exchange(Protocol):
    """One user's BingX account, as the order flow uses it."""

    async def place(self, intent: OrderIntended) -> ExchangeOrder:
        """Send the order; raise :class:`OrderRefused` or :class:`OutcomeUnknown`."""
        ...

    async def find(self, symbol: str, client_order_id: str) -> ExchangeOrder | None:
        """The order with this clientOrderID, or ``None`` if BingX never received it."""
        ...


class Account(Exchange, Protocol):
    """Everything else the executor asks of one user's account."""

    async def positions(self) -> list[ExchangePosition]:
        """Every open position (raise :class:`OutcomeUnknown` when BingX cannot say)."""
        ...

    async def balance(self) -> ExchangeBalance: ...

    async def fills(self, symbol: str, since_ms: int) -> list[ExchangeFill]: ...

    async def funding(self, since_ms: int) -> list[FundingPaid]:
        """Funding fees since ``since_ms`` from BingX's income history."""
        ...

    async def transfers(self, since_ms: int) -> list[TransferRecorded]:
        """Deposits (> 0) and withdrawals (< 0) since ``since_ms`` (income ``TRANSFER``)."""
        ...

    async def stops(self, symbol: str) -> list[ExchangeStop]:
        """The resting stop-loss orders on ``symbol`` (:class:`OutcomeUnknown`)."""
        ...

    async def cancel(self, symbol: str, exchange_order_id: str) -> None:
        """Cancel one order (:class:`OutcomeUnknown` when BingX cannot say it did)."""
        ...

    async def configure(self, symbol: str, leverage: int, hedge: bool) -> None:
        """Set the position mode and the symbol's leverage on both sides."""
        ...

    async def open_stream(self) -> str:
        """A listenKey for the account's user-data stream (:class:`OutcomeUnknown`)."""
        ...

    async def keep_stream(self, listen_key: str) -> None:
        """Extend the listenKey's life (60 min from now)."""
        ...

    async def close_stream(self, listen_key: str) -> None:
        """Give the listenKey back."""
        ...


class DecisionTelemetry(Protocol):
    """Where decisions that change no state go (the telemetry stream, not the log)."""

    async def decided(
        self, user_id: str, evaluation: SignalEvaluated, causation_id: EventId
    ) -> None:
        """Record the decision if it can; never raise (trading does not wait on it)."""
        ...

    async def decided_since(self, since: datetime) -> dict[str, set[str]]:
        """Signal ids of the decisions recorded there since ``since``, by user (empty when
        it cannot say: those signals are then decided again)."""
        ...
