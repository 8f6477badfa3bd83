"""The contracts the simulator lists (precision, minimums, leverage caps)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ContractSpec:
    symbol: str
    quantity_precision: int
    price_precision: int
    min_quantity: Decimal
    min_notional: Decimal = Decimal(2)
    max_leverage: int = 125
    taker_fee: Decimal = Decimal("0.0005")
    maker_fee: Decimal = Decimal("0.0002")

    def wire(self, contract_id: int) -> dict[str, object]:
        """The contract object as BingX serves it."""
        base = self.symbol.split("-")[0]
        return {
            "contractId": str(contract_id),
            "symbol": self.symbol,
            "size": "0",
            "quantityPrecision": self.quantity_precision,
            "pricePrecision": self.price_precision,
            "feeRate": float(self.taker_fee),
            "makerFeeRate": float(self.maker_fee),
            "takerFeeRate": float(self.taker_fee),
            "tradeMinLimit": 0,
            "tradeMinQuantity": float(self.min_quantity),
            "tradeMinUSDT": float(self.min_notional),
            "maxLongLeverage": self.max_leverage,
            "maxShortLeverage": self.max_leverage,
            "currency": "USDT",
            "asset": base,
            "status": 1,
            "apiStateOpen": "true",
            "apiStateClose": "true",
            "ensureTrigger": True,
            "triggerFeeRate": "0.00020000",
            "brokerState": True,
            "launchTime": 0,
            "maintainTime": 0,
            "offTime": 0,
            "displayName": self.symbol,
        }


KNOWN = {
    "BTC-USDT": ContractSpec("BTC-USDT", 4, 1, Decimal("0.0001")),
    "ETH-USDT": ContractSpec("ETH-USDT", 2, 2, Decimal("0.01")),
    "XRP-USDT": ContractSpec("XRP-USDT", 0, 4, Decimal(1), max_leverage=75),
    "SOL-USDT": ContractSpec("SOL-USDT", 1, 3, Decimal("0.1"), max_leverage=75),
    "DOGE-USDT": ContractSpec("DOGE-USDT", 0, 5, Decimal(1), max_leverage=75),
}


def spec_for(symbol: str) -> ContractSpec:
    """A known contract, or a generic one for any other symbol."""
    return KNOWN.get(symbol) or ContractSpec(symbol, 2, 4, Decimal("0.01"), max_leverage=50)
