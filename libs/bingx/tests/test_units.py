from datetime import UTC, datetime
from decimal import Decimal

import pytest

from fleet.bingx.errors import (
    AuthError,
    DuplicateClientOrderId,
    RateLimited,
    Rejected,
    Retryable,
    TimestampError,
    error_for,
)
from fleet.bingx.models import Depth, Fill, Order
from fleet.bingx.ratelimit import TokenBucket

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        (100001, 200, AuthError),
        (100421, 200, TimestampError),
        (101481, 200, DuplicateClientOrderId),
        (100410, 200, RateLimited),
        (1, 429, RateLimited),
        (999999, 200, Rejected),
    ],
)
def test_error_codes_map_to_what_the_caller_must_do(code: int, status: int, kind: type) -> None:
    error = error_for(code, "msg", status)
    assert isinstance(error, kind)
    assert isinstance(TimestampError("x"), Retryable) and isinstance(AuthError("x"), Rejected)


def test_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(5, 5, clock=lambda: now[0])
    assert all(bucket.try_take() == 0 for _ in range(5))
    assert bucket.try_take() == pytest.approx(0.2)
    now[0] = 0.4
    assert bucket.try_take() == 0 and bucket.try_take() == 0
    assert bucket.try_take() > 0


def test_depth_is_sorted_best_first_whatever_bingx_sends() -> None:
    depth = Depth.parse({"bids": [["99", "1"], ["100", "2"]], "asks": [["103", "1"], ["101", "1"]]})
    assert depth.bids[0][0] == Decimal(100) and depth.asks[0][0] == Decimal(101)


def test_order_parse_accepts_both_client_id_spellings_and_numeric_ids() -> None:
    raw = {
        "orderId": 1735950529123455088,
        "clientOrderID": "abc",
        "symbol": "BTC-USDT",
        "side": "BUY",
        "positionSide": "LONG",
        "type": "MARKET",
        "avgPrice": "50000.5",
    }
    order = Order.parse(raw)
    assert order.order_id == "1735950529123455088" and order.client_order_id == "abc"
    assert order.average_price == Decimal("50000.5")


def test_a_fill_knows_when_it_filled_from_either_text() -> None:
    row = {"orderId": 1, "symbol": "BTC-USDT", "price": "1", "volume": "1"}
    precise = Fill.parse(row | {"filledTime": "2023-12-16T20:58:36.123+0800"})
    assert precise.filled_at == datetime(2023, 12, 16, 12, 58, 36, 123000, tzinfo=UTC)
    rough = Fill.parse(row | {"filledTime": "garbled", "filledTm": "2023-12-16T12:58:36Z"})
    assert rough.filled_at == datetime(2023, 12, 16, 12, 58, 36, tzinfo=UTC)
    assert Fill.parse(row).filled_at is None
