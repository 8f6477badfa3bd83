import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleet.executor.domain.ids import client_order_id

pytestmark = pytest.mark.unit


@given(st.text(min_size=1), st.text(min_size=1), st.sampled_from(["entry", "exit", "stop"]))
def test_deterministic_lowercase_and_within_bingx_limits(signal: str, user: str, leg: str) -> None:
    first = client_order_id(signal, user, leg)
    assert first == client_order_id(signal, user, leg)
    assert first == first.lower()
    assert 1 <= len(first) <= 40
    assert first.isalnum()


def test_any_part_changes_the_id() -> None:
    base = client_order_id("sig-1", "user-1", "entry")
    assert (
        len(
            {
                base,
                client_order_id("sig-2", "user-1", "entry"),
                client_order_id("sig-1", "user-2", "entry"),
                client_order_id("sig-1", "user-1", "exit"),
            }
        )
        == 4
    )
