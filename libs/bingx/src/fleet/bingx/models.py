"""Typed BingX results: Decimal for every price and size (API.md §4)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal, NewType

from pydantic import BaseModel, ConfigDict, Field

OrderId = NewType("OrderId", str)
Side = Literal["BUY", "SELL"]
PositionSide = Literal["LONG", "SHORT", "BOTH"]
OrderType = Literal["MARKET", "LIMIT", "STOP_MARKET", "TAKE_PROFIT_MARKET"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


class Contract(_Model):
    symbol: str
    quantity_precision: int = Field(alias="quantityPrecision")
    price_precision: int = Field(alias="pricePrecision")
    min_quantity: Decimal = Field(alias="tradeMinQuantity")
    min_notional: Decimal = Field(alias="tradeMinUSDT")
    max_long_leverage: int = Field(alias="maxLongLeverage")
    max_short_leverage: int = Field(alias="maxShortLeverage")
    taker_fee: Decimal = Field(default=Decimal("0.0005"), alias="takerFeeRate")
    maker_fee: Decimal = Field(default=Decimal("0.0002"), alias="makerFeeRate")
    status: int = 1

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
    balance: Decimal
    equity: Decimal
    unrealized_profit: Decimal = Field(alias="unrealizedProfit")
    realised_profit: Decimal = Field(alias="realisedProfit")
    available_margin: Decimal = Field(alias="availableMargin")
    used_margin: Decimal = Field(alias="usedMargin")


class Position(_Model):
    symbol: str
    position_side: PositionSide = Field(alias="positionSide")
    amount: Decimal = Field(alias="positionAmt")
    entry_price: Decimal = Field(alias="avgPrice")
    unrealized_profit: Decimal = Field(alias="unrealizedProfit")
    leverage: int
    isolated: bool = False
    mark_price: Decimal = Field(default=Decimal(0), alias="markPrice")
    liquidation_price: Decimal = Field(default=Decimal(0), alias="liquidationPrice")
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
    stop_price: Decimal = Field(default=Decimal(0), alias="stopPrice")

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> Order:
        """An order object; accepts both clientOrderId spellings and numeric ids."""
        data = dict(raw)
        data["orderId"] = str(data.get("orderId", ""))
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
    order_id: str = Field(alias="orderId")
    symbol: str
    side: Side
    price: Decimal
    quantity: Decimal = Field(alias="volume")
    commission: Decimal = Decimal(0)
    client_order_id: str = Field(default="", alias="clientOrderID")
