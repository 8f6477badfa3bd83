"""Bodies of a trader's own account: settings, BingX connection, bot, positions, trades,
trading sessions, statistics and risk decisions. Money is a decimal string."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import AwareDatetime, ConfigDict, Field, StrictBool, StrictInt, field_validator
from pydantic.fields import FieldInfo

from fleet.events.credentials import BingxEnvironment
from fleet.events.timeframes import Timeframe
from fleet.events.users import PositionMode, Symbol, TradingSettings
from fleet.gateway.schemas.base import ApiModel, Page, document_decimal_text, strict_decimal

MONEY_EXAMPLE = "2500.00"


def _like(name: str, example: Any) -> Any:
    """An optional field with the same limits as the trading settings' own field."""
    source = TradingSettings.model_fields[name]
    return FieldInfo.merge_field_infos(source, default=None, examples=[example])


class SettingsOut(ApiModel):
    """A trader's settings (percentages in percent: 2.0 means 2 %)."""

    trading_enabled: bool = Field(examples=[True])
    max_positions: int = Field(examples=[2])
    risk_per_trade: Decimal = Field(examples=["2.0"])
    daily_loss_limit: Decimal = Field(examples=["5.0"])
    max_drawdown: Decimal = Field(examples=["15.0"])
    leverage: int = Field(examples=[5])
    position_mode: PositionMode
    symbols: list[str] = Field(examples=[["BTC-USDT", "ETH-USDT"]])
    timeframe: Timeframe
    adx_threshold: Decimal = Field(examples=["25"])
    min_confidence: Decimal = Field(examples=["60"])
    flatten_on_stop: bool = Field(examples=[False])
    updated_at: AwareDatetime | None = None


DECIMALS = ("risk_per_trade", "daily_loss_limit", "max_drawdown", "adx_threshold", "min_confidence")


class SettingsUpdate(ApiModel):
    """Only the fields given change; the whole result is validated by the auth service.
    Types are strict: a boolean is ``true``/``false``, an integer a JSON integer, a
    decimal a string of ASCII digits with at most 2 places (what the UI offers)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra=lambda schema: document_decimal_text(schema, DECIMALS)
    )

    trading_enabled: StrictBool | None = Field(default=None, examples=[True])
    max_positions: StrictInt | None = _like("max_positions", 3)
    risk_per_trade: Decimal | None = _like("risk_per_trade", "1.5")
    daily_loss_limit: Decimal | None = _like("daily_loss_limit", "5.0")
    max_drawdown: Decimal | None = _like("max_drawdown", "15.0")
    leverage: StrictInt | None = _like("leverage", 5)
    position_mode: PositionMode | None = Field(default=None, examples=["hedge"])
    symbols: list[Symbol] | None = _like("symbols", ["BTC-USDT"])
    timeframe: Timeframe | None = Field(default=None, examples=["15m"])
    adx_threshold: Decimal | None = _like("adx_threshold", "25")
    min_confidence: Decimal | None = _like("min_confidence", "60")
    flatten_on_stop: StrictBool | None = Field(default=None, examples=[False])

    # a decimal is a JSON string of ASCII digits ("2.5") or an integer: no exponent, no
    # boolean, no float's rounding, no other script's digits
    _strict_decimals = field_validator(*DECIMALS, mode="before")(strict_decimal)


class ConnectRequest(ApiModel):
    """A BingX API key pair. The secret is wrapped for Vault at the door: only Vault opens it."""

    api_key: str = Field(min_length=1, max_length=256, examples=["vQ7...64 characters...Xk"])
    api_secret: str = Field(min_length=1, max_length=256, examples=["(the secret)"])
    environment: BingxEnvironment = Field(
        default="live",
        description="live: real BingX; demo: BingX VST (virtual USDT), where a new trader "
        "tries a bot safely. A key belongs to one of them.",
        examples=["demo"],
    )


class BingxResult(ApiModel):
    """The answer of connect, test and disconnect (refusals add ``error`` to the one
    error shape, with ``success: false``)."""

    success: bool = Field(examples=[True])
    message: str = Field(examples=["BingX account connected and verified"])
    account_type: str | None = Field(default=None, examples=["perpetual"])
    balance: Decimal | None = Field(default=None, examples=[MONEY_EXAMPLE])
    api_key_last4: str | None = Field(default=None, examples=["9XkQ"])
    environment: BingxEnvironment | None = Field(default=None, examples=["live"])
    warnings: list[str] = Field(default_factory=list)


CredentialStatus = Literal["not_connected", "pending", "verified", "failed", "disconnected"]


class CredentialOut(ApiModel):
    status: CredentialStatus
    api_key_last4: str | None = Field(default=None, examples=["9XkQ"])
    account_type: str | None = None
    balance: Decimal | None = Field(default=None, examples=[MONEY_EXAMPLE])
    permissions: list[int] = Field(default_factory=list)
    ip_addresses: list[str] = Field(default_factory=list)
    connected_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    last_verified_at: AwareDatetime | None = None
    last_failure_reason: str | None = None
    environment: BingxEnvironment | None = Field(
        default=None, description="The BingX the key belongs to (live, or demo = VST)."
    )


BotStatus = Literal["never_started", "running", "paused", "stopped"]


class BotOut(ApiModel):
    status: BotStatus
    session_id: str | None = None
    pause_reason: str | None = None
    paused_automatically: bool = False
    started_at: AwareDatetime | None = None
    stopped_at: AwareDatetime | None = None
    changed_by: str | None = None


class BotCommandResult(ApiModel):
    status: str = Field(examples=["running"])
    session_id: str | None = None
    message: str = Field(default="", examples=["bot started"])


class AccountOut(ApiModel):
    balance: Decimal = Field(examples=[MONEY_EXAMPLE])
    equity: Decimal = Field(examples=["2512.40"])
    available_margin: Decimal = Field(examples=["2100.00"])
    unrealised_pnl: Decimal = Field(examples=["12.40"])
    valued_at: AwareDatetime


class PositionOut(ApiModel):
    trade_id: str
    symbol: str = Field(examples=["BTC-USDT"])
    position_side: str = Field(examples=["LONG"])
    direction: Literal["long", "short"]
    quantity: Decimal = Field(examples=["0.010"])
    entry_price: Decimal = Field(examples=["64000.5"])
    leverage: int = Field(examples=[5])
    stop_price: Decimal | None = None
    opened_at: AwareDatetime
    manual: bool = False
    session_id: str | None = None
    liquidation_price: Decimal | None = Field(
        default=None,
        examples=["54300.5"],
        description="BingX's liquidation price at the account's last valuation (cross "
        "margin: it moves with the account); null until BingX reported one.",
    )
    # valued at the market's latest price (absent while the market has no candle yet)
    mark_price: Decimal | None = Field(
        default=None, examples=["64210.5"], description="Latest close of the market's candle."
    )
    unrealised_pnl: Decimal | None = Field(default=None, examples=["2.10"])
    unrealised_pnl_pct: Decimal | None = Field(
        default=None, examples=["1.64"], description="Unrealised PnL in % of the margin."
    )
    notional: Decimal | None = Field(
        default=None, examples=["640.01"], description="Size in USDT at the entry price."
    )
    margin: Decimal | None = Field(
        default=None, examples=["128.00"], description="Notional / leverage."
    )
    risk_to_stop: Decimal | None = Field(
        default=None,
        examples=["12.40"],
        description="USDT lost if the stop fills, from the mark (or entry) price; 0 when "
        "the stop locks in a gain.",
    )
    price_decimals: int | None = Field(
        default=None, examples=[1], description="The market's price precision (digits)."
    )


class OrderOut(ApiModel):
    """An order Fleet placed on BingX and that has not filled completely yet."""

    client_order_id: str
    exchange_order_id: str | None = None
    symbol: str = Field(examples=["BTC-USDT"])
    side: Literal["BUY", "SELL"]
    leg: str = Field(examples=["entry"])
    quantity: Decimal = Field(examples=["0.010"])
    filled_quantity: Decimal = Field(examples=["0.004"])
    status: Literal["intended", "pending", "partially_filled"]
    updated_at: AwareDatetime


class TradeOut(PositionOut):
    status: Literal["open", "closed"]
    exit_price: Decimal | None = None
    realised_pnl: Decimal | None = Field(default=None, examples=["18.20"])
    fees: Decimal | None = None
    closed_at: AwareDatetime | None = None
    close_reason: str | None = Field(default=None, examples=["opposite signal"])
    imported_from: Literal["legacy", "bingx"] | None = Field(
        default=None, description="Imported history: where from (None: traded by Fleet)."
    )


class SessionOut(ApiModel):
    session_id: str
    status: Literal["active", "paused", "stopped"]
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    initial_balance: Decimal = Field(examples=[MONEY_EXAMPLE])
    current_balance: Decimal = Field(examples=["2540.10"])
    trades: int = Field(ge=0)
    wins: int = Field(ge=0)
    losses: int = Field(ge=0)
    total_pnl: Decimal = Field(examples=["40.10"])
    config: dict[str, Any] = Field(description="The trading settings when the session began.")
    started_by: str
    stop_reason: str | None = None


class StatsOut(ApiModel):
    """Closed trades only; "today" begins at 00:00 UTC, or in the `tz` asked for."""

    trades: int = Field(ge=0, examples=[12])
    wins: int = Field(ge=0, examples=[7])
    losses: int = Field(ge=0, examples=[5])
    win_rate: Decimal = Field(examples=["58.33"], description="Percent of closed trades won.")
    pnl_today: Decimal = Field(examples=["-3.20"])
    pnl_all_time: Decimal = Field(examples=["140.55"])
    open_positions: int = Field(ge=0, examples=[1])
    trades_today: int = Field(ge=0, examples=[2], description="Closed since 00:00 (UTC or `tz`).")
    zone: str = Field(
        default="UTC", examples=["America/New_York"], description='Where "today" begins.'
    )
    return_today_pct: Decimal | None = Field(
        examples=["0.85"], description="Equity now against equity at 00:00 UTC, in %."
    )
    return_all_time_pct: Decimal | None = Field(
        examples=["12.40"], description="Equity now against the first equity recorded, in %."
    )
    max_drawdown_pct: Decimal = Field(
        examples=["-6.30"], description="Deepest fall of equity from a peak, in % (≤ 0)."
    )
    profit_factor: Decimal | None = Field(
        examples=["1.85"], description="Gross profit / gross loss; null without a losing trade."
    )
    average_win: Decimal | None = Field(examples=["24.10"])
    average_loss: Decimal | None = Field(examples=["-13.05"])
    fees_paid: Decimal = Field(examples=["4.12"], description="Trading fees of every trade.")
    funding: Decimal = Field(
        examples=["-0.85"], description="Net funding fees (negative: paid, positive: received)."
    )


class DecisionOut(ApiModel):
    """One risk-engine decision for one signal, with its reason and numbers."""

    event_id: str
    signal_id: str
    symbol: str
    decision: Literal["entry", "exit", "skip"]
    code: str = Field(examples=["daily_loss_limit"])
    reason: str = Field(examples=["skipped: daily loss limit 5 % reached (-5.3 %)"])
    numbers: dict[str, str] = Field(examples=[{"daily_pnl_pct": "-5.3"}])
    decided_at: AwareDatetime


class DecisionPage(Page[DecisionOut]):
    """Risk decisions, newest first; ``next_before`` fetches the older ones (``null``: the
    last page); ``total`` counts every row the filters match."""

    next_before: str | None = None


class StatusOut(ApiModel):
    """The caller's account at a glance (``GET /api/status``)."""

    user_id: str
    username: str
    trading_enabled: bool
    credential: CredentialOut
    account: AccountOut | None = None
    bot: BotOut
    positions: list[PositionOut]
    environment: BingxEnvironment | None = Field(
        default=None, description="Where this trader trades: his key's BingX (none: no key)."
    )
    simulated: bool = Field(
        default=False,
        description="The platform's BingX is the simulator (FLEET_BINGX_SIMULATED): the web "
        "UI's badge says SIMULATOR whatever the key's environment.",
    )


class EgressOut(ApiModel):
    """Fleet's egress addresses (``GET /api/bingx/egress``): a trader binds his BingX key
    to them; empty while no admin has set them."""

    addresses: list[str] = Field(examples=[["203.0.113.7"]])
