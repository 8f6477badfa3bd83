"""The cursor of the history pages and the CSV cells of the exports (pure parts)."""

import base64
import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from fleet.gateway.api.csv_stream import cell, lines
from fleet.gateway.read_models.trading.history import BadCursor, Cursor
from fleet.gateway.schemas.trading import DecisionOut

pytestmark = pytest.mark.unit


def test_a_cursor_reads_back_as_it_was_handed_out() -> None:
    cursor = Cursor(datetime(2026, 3, 1, 12, 30, 5, 123456, tzinfo=UTC), "trade-7")
    text = cursor.encode()
    assert text.replace("-", "").replace("_", "").isalnum()  # fits the query pattern
    assert Cursor.decode(text) == cursor


@pytest.mark.parametrize(
    "text",
    [
        "",
        "%%",
        Cursor(datetime(2026, 3, 1, tzinfo=UTC), "nul\x00").encode(),
        *[
            base64.urlsafe_b64encode(json.dumps(value).encode()).decode()
            for value in (
                "not-a-list",
                ["2026-03-01", 7],  # a number as key
                ["2026-03-01T00:00", "k"],  # a naive time
                ["0001-01-01T00:00:00+05:00", "k"],  # before year 1 in UTC
            )
        ],
    ],
)
def test_a_cursor_the_api_did_not_hand_out_is_refused(text: str) -> None:
    with pytest.raises(BadCursor):
        Cursor.decode(text)


def test_cells_are_the_json_values_as_text() -> None:
    assert cell(None) == "" and cell(True) == "true" and cell(False) == "false"
    assert cell("-12.50") == "-12.50" and cell(3) == "3"
    assert cell({"adx": "25.5"}) == '{"adx":"25.5"}'


def test_a_row_with_quotes_commas_and_lines_parses_back() -> None:
    decision = DecisionOut(
        event_id="e1",
        signal_id="s1",
        symbol="BTC-USDT",
        decision="skip",
        code="no_cross",
        reason='skip, "quoted"\nsecond line',
        numbers={"adx": "20.50"},
        decided_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    fields = tuple(DecisionOut.model_fields)
    text = lines(fields, [decision], header=True)
    [row] = list(csv.DictReader(io.StringIO(text)))
    expected = decision.model_dump(mode="json")
    assert row == {**expected, "numbers": '{"adx":"20.50"}'}
    assert Decimal(row["numbers"].split('"')[3]) == Decimal("20.50")
