"""The contract book: Instruments with BingX's tick and step, an unknown symbol said so,
and read again after a precision error."""

from decimal import Decimal

import pytest

from fleet.bingx.models import Contract
from fleet.executor.adapters.contracts import ContractBook, UnknownSymbol

pytestmark = pytest.mark.unit

BTC = {
    "symbol": "BTC-USDT",
    "quantityPrecision": 4,
    "pricePrecision": 1,
    "tradeMinQuantity": "0.0001",
    "tradeMinUSDT": "2",
    "maxLongLeverage": 125,
    "maxShortLeverage": 100,
}


class Contracts:
    """The one endpoint the book reads, counting its calls."""

    def __init__(self) -> None:
        self.rows = [BTC, BTC | {"symbol": "OFF-USDT", "apiStateOpen": "false"}]
        self.calls = 0

    async def contracts(self) -> list[Contract]:
        self.calls += 1
        return [Contract.model_validate(row) for row in self.rows]


async def test_instruments_carry_the_tick_step_and_minimums() -> None:
    client = Contracts()
    book = ContractBook(client)  # type: ignore[arg-type]
    btc = await book.rules("BTC-USDT")
    assert (btc.price_tick, btc.quantity_step, btc.min_notional) == (
        Decimal("0.1"),
        Decimal("0.0001"),
        Decimal(2),
    )
    assert btc.max_leverage == 100 and btc.symbol == "BTC-USDT"
    with pytest.raises(UnknownSymbol, match="NOPE-USDT is not a BingX perpetual contract"):
        await book.rules("NOPE-USDT")
    with pytest.raises(UnknownSymbol):
        await book.rules("OFF-USDT")  # closed to API orders


async def test_a_precision_error_makes_the_book_read_again() -> None:
    client = Contracts()
    book = ContractBook(client)  # type: ignore[arg-type]
    await book.rules("BTC-USDT")
    await book.rules("BTC-USDT")
    assert client.calls == 1  # kept for a day
    client.rows = [BTC | {"pricePrecision": 2}]
    book.expire()
    assert (await book.rules("BTC-USDT")).price_tick == Decimal("0.01")
    assert client.calls == 2
