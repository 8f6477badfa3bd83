"""Every text an event carries is bounded, and an address is an address."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from fleet.events import Envelope
from fleet.events.audit import AuditRecorded
from fleet.events.bounds import REASON_MAX
from fleet.events.catalog import domain_registry
from fleet.events.trading import OrderRejected, PositionClosed
from fleet.events.users import LoginSucceeded, TradingSettings

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("forged", ["1" * 100, "<img src=x onerror=alert(1)>", "fe80::1%eth0"])
def test_an_address_that_is_not_one_loads_as_unknown(forged: str) -> None:
    assert LoginSucceeded.model_validate({"ip": forged}).ip == ""


def test_an_address_is_kept_in_its_normal_form() -> None:
    assert LoginSucceeded(ip="2001:DB8::1").ip == "2001:db8::1"


def test_a_user_agent_is_bounded() -> None:
    with pytest.raises(ValidationError):
        LoginSucceeded(ip="127.0.0.1", user_agent="x" * 257)


def test_audit_details_are_bounded() -> None:
    with pytest.raises(ValidationError):
        AuditRecorded(
            action="a", actor_id="u", actor_role="trader", ip="", details={"k": "v" * 600}
        )


@pytest.mark.parametrize("value", ["5." + "0" * 900_000 + "1", "2.125", "Infinity"])
def test_a_settings_percentage_has_at_most_two_places(value: str) -> None:
    with pytest.raises(ValidationError):
        TradingSettings(risk_per_trade=Decimal(value))


@pytest.mark.parametrize("sample", ["user_trading_settings_changed_v1.json", "bot_started_v1.json"])
def test_v1_settings_with_any_places_load_rounded_to_two(sample: str) -> None:
    payload = (Path(__file__).parent / "samples" / sample).read_bytes()
    envelope = Envelope.from_wire(payload, sequence=1)
    assert envelope.schema_version == 1
    event = domain_registry().decode(envelope)
    settings = getattr(event, "settings")  # noqa: B009 - both types carry settings
    assert settings.risk_per_trade == Decimal("1.56")
    assert settings.max_drawdown == Decimal("15.00")


def test_exchange_texts_are_clipped_and_exchange_amounts_bounded() -> None:
    long_message = "BingX says: " + "x" * 5_000
    rejected = OrderRejected(
        client_order_id="fl" + "0" * 38, bingx_code=101204, message=long_message
    )
    assert len(rejected.message) == REASON_MAX and rejected.message.endswith("…")
    # an event stored before the bound loads, clipped the same way (never quarantined)
    stored = OrderRejected.model_validate(rejected.model_dump() | {"message": long_message})
    assert stored.message == rejected.message
    closed = {
        "trade_id": "t1", "symbol": "BTC-USDT", "position_side": "LONG",
        "quantity": "0.01", "entry_price": "60000", "exit_price": "61000",
        "realised_pnl": "10", "reason": "stop-loss", "closed_at": "2026-12-02T00:00:00Z",
    }  # fmt: skip
    assert PositionClosed.model_validate(closed).realised_pnl == Decimal(10)
    with pytest.raises(ValidationError):
        PositionClosed.model_validate(closed | {"quantity": "5." + "0" * 900_000 + "1"})
    with pytest.raises(ValidationError):
        PositionClosed.model_validate(closed | {"symbol": "B" * 33})
