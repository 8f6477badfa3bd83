import pytest

from fleet.strategy.domain.incremental import DmiValues
from fleet.strategy.domain.rule import confidence_of, decide, signal_id, signal_values

pytestmark = pytest.mark.unit


def values(plus: float, minus: float, adx: float = 30.0) -> DmiValues:
    return DmiValues(atr=2.0, plus_di=plus, minus_di=minus, dx=0.0, adx=adx)


def test_cross_direction_stop_and_confidence() -> None:
    signal = signal_values(100.0, values(20, 25), values(30, 20, adx=40))
    assert signal is not None
    assert (signal.cross, signal.direction, signal.stop_distance) == ("up", "long", 4.0)
    assert signal.confidence == pytest.approx(0.6 * 40 / 50 + 0.4 * min((10 / 50) / 0.5, 1))
    assert signal_values(100.0, None, DmiValues(atr=1.0)) is None  # warming up


def test_confidence_is_bounded() -> None:
    assert confidence_of(500, 100, 0) == 1.0
    assert confidence_of(0, 0, 0) == 0.0


@pytest.mark.parametrize(
    ("plus_before", "plus_now", "adx", "min_conf", "position", "action"),
    [
        (20, 30, 30, 40, None, "long"),  # confidence 43 %
        (30, 20, 30, 40, None, "short"),
        (20, 30, 20, 60, None, "none"),  # ADX below the user's threshold
        (20, 30, 30, 95, None, "none"),  # confidence below the user's minimum
        (30, 20, 10, 99, "long", "exit"),  # exits are never gated
        (20, 30, 30, 60, "long", "none"),  # already in
    ],
)
def test_decide_applies_the_users_settings(
    plus_before: float,
    plus_now: float,
    adx: float,
    min_conf: float,
    position: str | None,
    action: str,
) -> None:
    signal = signal_values(100.0, values(plus_before, 25), values(plus_now, 25, adx=adx))
    assert signal is not None
    assert decide(signal, 25.0, min_conf, position) == action  # type: ignore[arg-type]


def test_signal_ids_are_deterministic() -> None:
    first = signal_id("adx", 1, "BTC-USDT", "5m", 1_700_000_000_000)
    assert first == signal_id("adx", 1, "BTC-USDT", "5m", 1_700_000_000_000)
    assert first != signal_id("adx", 1, "BTC-USDT", "5m", 1_700_000_300_000)
