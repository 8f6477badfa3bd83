"""OpenBao on the embedded stack runs Go code on one thread unless the operator says."""

from pathlib import Path

import pytest

from fleet.stack import OpenBaoServer
from fleet.stack.process import EMBEDDED_GO_THREADS, go_environment

pytestmark = pytest.mark.unit


def test_openbao_starts_with_one_go_thread_and_the_rest_of_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOMAXPROCS", raising=False)
    monkeypatch.setenv("FLEET_SOMETHING", "kept")
    env = OpenBaoServer(tmp_path / "bao", dev=True).process.env
    assert env is not None
    assert env["GOMAXPROCS"] == EMBEDDED_GO_THREADS == "1"
    assert env["FLEET_SOMETHING"] == "kept"


def test_the_operators_gomaxprocs_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOMAXPROCS", "4")
    assert go_environment()["GOMAXPROCS"] == "4"
