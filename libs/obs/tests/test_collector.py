"""A service's collector: the start-up heap frozen, young collections spaced out."""

import gc
from collections.abc import Iterator

import pytest

from fleet.obs import settle_collector
from fleet.obs.collector import MIDDLE_EVERY, OLD_EVERY, YOUNG_EVERY

pytestmark = pytest.mark.unit


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_collector")
def test_the_start_up_heap_is_frozen_and_collections_are_spaced_out() -> None:
    settle_collector()
    assert gc.get_freeze_count() > 1000  # modules, classes, settings: never walked again
    assert gc.get_threshold() == (YOUNG_EVERY, MIDDLE_EVERY, OLD_EVERY)
    assert gc.isenabled()  # cycles are still collected


@pytest.mark.usefixtures("restored_collector")
def test_cycles_made_after_start_are_still_collected() -> None:
    settle_collector()

    class Node:
        partner: object = None

    first, second = Node(), Node()
    first.partner, second.partner = second, first
    gc.collect()
    del first, second
    assert gc.collect() >= 2  # the two nodes of the cycle
