"""Typed BingX results: Decimal for every price and size (API.md §4)."""

from __future__ import annotations

import contextlib
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, NewType

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field

OrderId = NewType("OrderId", str)
Side = Literal["BUY", "SELL"]
PositionSide = Literal["LONG", "SHORT", "BOTH"]
OrderType = Literal["MARKET", "LIMIT", "STOP_MARKET", "TAKE_PROFIT_MARKET"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


# BingX sends "" (and sometimes null) where a number is unknown or zero (API.md §4.2: the
# USDC balance row); such a field reads as 0 instead of failing the whole answer.
LooseDecimal = Annotated[Decimal, BeforeValidator(_dec)]


class Contract(_Model):
    symbol: str
    quantity_precision: int = Field(alias="quantityPrecision")
    price_precision: int = Field(alias="pricePrecision")
    min_quantity: LooseDecimal = Field(default=Decimal(0), alias="tradeMinQuantity")
    min_notional: LooseDecimal = Field(default=Decimal(0), alias="tradeMinUSDT")
    max_long_leverage: int = Field(alias="maxLongLeverage")
    max_short_leverage: int = Field(alias="maxShortLeverage")
    taker_fee: LooseDecimal = Field(default=Decimal("0.0005"), alias="takerFeeRate")
    maker_fee: LooseDecimal = Field(default=Decimal("0.0002"), alias="makerFeeRate")
    status: int = 1
    api_state_open: str = Field(default="true", alias="apiStateOpen")

    @property
    def tradable(self) -> bool:
        """Online (status 1) and open to API orders (``apiStateOpen`` "true", API.md §4.1)."""
        return self.status == 1 and self.api_state_open.lower() != "false"

    @property
    def quantity_step(self) -> Decimal:
        return Decimal(1).scaleb(-self.quantity_precision)

    @property
    def price_tick(self) -> Decimal:
        return Decimal(1).scaleb(-self.price_precision)


class Kline(_Model):
    open_time_ms: int = Field(alias="time")
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


class Balance(_Model):
    asset: str
    balance: LooseDecimal = Decimal(0)
    equity: LooseDecimal = Decimal(0)
    unrealized_profit: LooseDecimal = Field(default=Decimal(0), alias="unrealizedProfit")
    realised_profit: LooseDecimal = Field(default=Decimal(0), alias="realisedProfit")
    available_margin: LooseDecimal = Field(default=Decimal(0), alias="availableMargin")
    used_margin: LooseDecimal = Field(default=Decimal(0), alias="usedMargin")


class Position(_Model):
    symbol: str
    position_side: PositionSide = Field(alias="positionSide")
    amount: LooseDecimal = Field(alias="positionAmt")
    entry_price: LooseDecimal = Field(alias="avgPrice")
    unrealized_profit: LooseDecimal = Field(default=Decimal(0), alias="unrealizedProfit")
    leverage: int
    isolated: bool = False
    mark_price: LooseDecimal = Field(default=Decimal(0), alias="markPrice")
    liquidation_price: LooseDecimal = Field(default=Decimal(0), alias="liquidationPrice")
    position_id: str = Field(default="", alias="positionId")


class Order(_Model):
    order_id: OrderId = Field(alias="orderId")
    client_order_id: str = Field(default="", alias="clientOrderId")
    symbol: str
    side: Side
    position_side: PositionSide = Field(alias="positionSide")
    type: str
    status: str = "NEW"
    quantity: Decimal = Field(default=Decimal(0), alias="origQty")
    price: Decimal = Decimal(0)
    executed_quantity: Decimal = Field(default=Decimal(0), alias="executedQty")
    average_price: Decimal = Field(default=Decimal(0), alias="avgPrice")
    cum_quote: LooseDecimal = Field(default=Decimal(0), alias="cumQuote")  # filled value
    stop_price: Decimal = Field(default=Decimal(0), alias="stopPrice")
    commission: LooseDecimal = Decimal(0)  # of the fills so far; negative = paid
    profit: LooseDecimal = Decimal(0)  # realised by the fills so far

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> Order:
        """An order object; accepts both clientOrderId spellings, ``orderId``/``orderID``
        and numeric ids. An order without an id is no order: ``ValueError``."""
        data = dict(raw)
        order_id = data.get("orderId") or data.get("orderID")
        if order_id in (None, "", 0):
            raise ValueError("an order without orderId")
        data["orderId"] = str(order_id)
        data.setdefault("clientOrderId", data.get("clientOrderID", ""))
        for key in ("origQty", "price", "executedQty", "avgPrice", "stopPrice"):
            if key in data:
                data[key] = _dec(data[key])
        return cls.model_validate(data)


class Leverage(_Model):
    long_leverage: int = Field(alias="longLeverage")
    short_leverage: int = Field(alias="shortLeverage")
    max_long_leverage: int = Field(default=0, alias="maxLongLeverage")
    max_short_leverage: int = Field(default=0, alias="maxShortLeverage")


class ApiPermissions(_Model):
    permissions: tuple[int, ...]
    ip_addresses: tuple[str, ...] = Field(default=(), alias="ipAddresses")
    note: str = ""


class Depth(_Model):
    bids: tuple[tuple[Decimal, Decimal], ...]
    asks: tuple[tuple[Decimal, Decimal], ...]

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> Depth:
        """Best first on both sides (BingX sends asks descending: best ask last)."""
        bids = sorted(((_dec(p), _dec(q)) for p, q in raw["bids"]), reverse=True)
        asks = sorted((_dec(p), _dec(q)) for p, q in raw["asks"])
        return cls(bids=tuple(bids), asks=tuple(asks))


class Fill(_Model):
    """One row of ``allFillOrders``: recorded rows lack ``side`` and ``positionSide``, spell
    the ids ``orderId``/``orderID`` and ``clientOrderID``/``clientOrderId`` (API.md §4.3)."""

    order_id: str = Field(validation_alias=AliasChoices("orderId", "orderID"))
    symbol: str
    side: Side | None = None
    position_side: PositionSide | None = Field(default=None, alias="positionSide")
    price: LooseDecimal
    quantity: LooseDecimal = Field(alias="volume")
    commission: LooseDecimal = Decimal(0)
    client_order_id: str = Field(
        default="", validation_alias=AliasChoices("clientOrderID", "clientOrderId")
    )
    # ``filledTime`` is local UTC+8 text to the millisecond, ``filledTm`` UTC to the second
    filled_time: str = Field(default="", alias="filledTime")
    filled_tm: str = Field(default="", alias="filledTm")

    @property
    def filled_at(self) -> datetime | None:
        """When it filled (timezone-aware): ``filledTime`` to the millisecond, else
        ``filledTm``; ``None`` when neither reads."""
        with contextlib.suppress(ValueError):
            if self.filled_time:
                return datetime.strptime(self.filled_time, "%Y-%m-%dT%H:%M:%S.%f%z")
        with contextlib.suppress(ValueError):
            if self.filled_tm:
                return datetime.fromisoformat(self.filled_tm.replace("Z", "+00:00"))
        return None

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> Fill:
        """A fill row; numeric ids become text, empty sides count as unknown."""
        data = {key: value for key, value in raw.items() if value not in (None, "")}
        for key in ("orderId", "orderID"):
            if key in data:
                data[key] = str(data[key])
        return cls.model_validate(data)
