import pytest

from fleet.strategy.domain.incremental import DmiValues
from fleet.strategy.domain.rule import confidence_of, decide, signal_id, signal_values

pytestmark = pytest.mark.unit


def values(plus: float, minus: float, adx: float = 30.0) -> DmiValues:
    return DmiValues(atr=2.0, plus_di=plus, minus_di=minus, dx=0.0, adx=adx)


def test_cross_direction_stop_and_confidence() -> None:
    signal = signal_values(100.0, values(20, 25, adx=35), values(30, 20, adx=40))
    assert signal is not None
    assert (signal.cross, signal.direction, signal.stop_distance) == ("up", "long", 4.0)
    # strength 40/40, sharpness |10 - (-5)| = 15 -> full, ADX rising
    assert signal.confidence == pytest.approx(0.5 + 0.3 + 0.2)
    assert signal_values(100.0, None, DmiValues(atr=1.0)) is None  # warming up


def test_confidence_is_bounded() -> None:
    assert confidence_of(values(0, 100, adx=10), values(100, 0, adx=500)) == 1.0
    assert confidence_of(None, DmiValues(adx=0.0, plus_di=0.0, minus_di=0.0)) == 0.0
    weak = confidence_of(values(24, 25, adx=22), values(26, 25, adx=21))
    assert weak == pytest.approx(0.5 * 21 / 40 + 0.3 * 0.2)


@pytest.mark.parametrize(
    ("plus_before", "plus_now", "adx", "min_conf", "position", "action"),
    [
        (20, 30, 30, 60, None, "long"),  # confidence 0.5*0.75 + 0.3*1 = 67.5 %
        (30, 20, 30, 60, None, "short"),
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
