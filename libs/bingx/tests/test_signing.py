"""Signing against worked examples computed from the spec's rules with plain ``hmac``,
independent of the client's own code path."""

import hashlib
import hmac
from decimal import Decimal

import pytest

from fleet.bingx.signing import LocalHmacSigner, payload, query

pytestmark = pytest.mark.unit

DOC_SECRET = "mheO6dR8ovSsxZQCOYEFCtelpuxcWGTfHw7te326y6jOwq5WpvFQ9JNljoTwBXZGv5It07m9RXSPpDQEK2w"


def reference(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


async def test_documented_vector_signs_the_unsorted_string_it_was_given() -> None:
    # API.md §2.6: doc23's example, signed over the string as laid out.
    text = "symbol=BTC-USDT&timestamp=1667872120843&side=LONG&leverage=6"
    signed = await LocalHmacSigner("key", DOC_SECRET).sign(text)
    assert signed.signature == "4f581ecdb1fa09b9d6e57886b6f70cffed17f82b93399722939e49a38edec2bf"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"timestamp": 1700000000000},
            "55f3d406bab9dcdb29e3e902d1ca65c58c8e5bec1303fb21119ecbb415731f41",
        ),
        (
            {"symbol": "BTC-USDT", "side": "BOTH", "leverage": 5, "timestamp": 1700000000000},
            "066c36fb9f622e2bd9b47599c511581bdc4ea5bdd80ccbabb3f993a172f1dfcc",
        ),
    ],
)
async def test_captured_vectors(params: dict[str, object], expected: str) -> None:
    signed = await LocalHmacSigner("key", "TESTSECRET").sign(payload(params))  # type: ignore[arg-type]
    assert signed.signature == expected


async def test_json_values_are_signed_raw_and_sent_encoded() -> None:
    stop = {
        "stopPrice": 29000,
        "workingType": "MARK_PRICE",
        "type": "STOP_MARKET",
        "quantity": 0.001,
    }
    take = {
        "stopPrice": 32000,
        "workingType": "MARK_PRICE",
        "type": "TAKE_PROFIT_MARKET",
        "quantity": 0.001,
    }
    params = {
        "symbol": "BTC-USDT",
        "side": "BUY",
        "positionSide": "BOTH",
        "type": "MARKET",
        "quantity": Decimal("0.001"),
        "clientOrderID": "fleet-0001",
        "stopLoss": stop,
        "takeProfit": take,
        "timestamp": 1700000000000,
    }
    text = payload(params)  # type: ignore[arg-type]
    assert text == (
        'clientOrderID=fleet-0001&positionSide=BOTH&quantity=0.001&side=BUY&stopLoss={"stopPrice"'
        ':29000,"workingType":"MARK_PRICE","type":"STOP_MARKET","quantity":0.001}&symbol=BTC-USDT&'
        'takeProfit={"stopPrice":32000,"workingType":"MARK_PRICE","type":"TAKE_PROFIT_MARKET",'
        '"quantity":0.001}&timestamp=1700000000000&type=MARKET'
    )
    # the spec's captured signature for exactly this string (secret TESTSECRET)
    assert reference("TESTSECRET", text) == (
        "a4bcca474e6a55974ace4430d11569b9e4e2da322b9fee28185912ae0e74afcf"
    )
    wire = query(params, "sig")  # type: ignore[arg-type]
    assert "stopLoss=%7B%22stopPrice%22%3A29000%2C" in wire
    assert wire.endswith("&signature=sig")


def test_decimals_booleans_and_the_secret_never_in_repr() -> None:
    assert payload({"q": Decimal("0.0100"), "reduceOnly": True}) == "q=0.01&reduceOnly=true"
    assert DOC_SECRET not in repr(LocalHmacSigner("abcdefgh1234", DOC_SECRET))


def test_attached_stop_prices_keep_their_exact_decimal_text() -> None:
    """A Decimal inside stopLoss is written with its own digits, never through a float
    (``59873.1234567891`` used to go out as a float; tiny sizes as ``1e-08``)."""
    stop = {
        "stopPrice": Decimal("59873.10"),
        "workingType": "MARK_PRICE",
        "type": "STOP_MARKET",
        "quantity": Decimal("0.00000001"),
    }
    text = payload({"stopLoss": stop})
    assert text == (
        'stopLoss={"stopPrice":59873.1,"workingType":"MARK_PRICE","type":"STOP_MARKET",'
        '"quantity":0.00000001}'
    )
    assert payload({"price": Decimal("1E+2"), "quantity": Decimal("1E-8")}) == (
        "price=100&quantity=0.00000001"
    )
