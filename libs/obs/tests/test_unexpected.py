import prometheus_client
import pytest

from fleet.obs import count_unexpected

pytestmark = pytest.mark.unit


def _count(where: str) -> float:
    value = prometheus_client.REGISTRY.get_sample_value(
        "fleet_unexpected_errors_total", {"where": where}
    )
    return value or 0.0


def test_each_unexpected_error_is_counted_by_where_it_was_caught() -> None:
    before = _count("test.boundary")
    count_unexpected("test.boundary")
    count_unexpected("test.boundary")
    assert _count("test.boundary") == before + 2
    assert _count("test.elsewhere") == 0.0
