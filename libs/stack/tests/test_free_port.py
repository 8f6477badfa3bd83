"""Ports of a test worker's band: free, in the band, and never handed out twice by one
process (nine ports of one NATS cluster once held a pair, and its nodes never met)."""

from __future__ import annotations

import pytest

from fleet.stack import process
from fleet.stack.process import WORKER_BAND_SIZE, WORKER_BANDS_FROM, free_port

pytestmark = pytest.mark.unit


def test_a_worker_never_gets_one_port_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw5")
    monkeypatch.setattr(process, "_HANDED_OUT", set())
    ports = [free_port() for _ in range(300)]  # random picks of 1,500 would repeat
    start = WORKER_BANDS_FROM + 5 * WORKER_BAND_SIZE
    assert all(start <= port < start + WORKER_BAND_SIZE for port in ports)
    assert len(set(ports)) == len(ports)
