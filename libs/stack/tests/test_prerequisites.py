"""Set-up of what a fresh machine lacks: nothing is run when the file is there, and one
line saying what to run when this process may not install."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet.stack import prerequisites
from fleet.stack.prerequisites import DebianPackage, PrerequisiteMissing

pytestmark = pytest.mark.unit


def test_a_present_package_runs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    present = tmp_path / "tool"
    present.write_text("")
    monkeypatch.setenv("PATH", str(tmp_path))  # no apt-get: any install attempt would fail
    notices: list[str] = []
    prerequisites.ensure(DebianPackage("tool", present, "a test"), notices.append)
    assert notices == []


def test_without_apt_the_failure_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    missing = DebianPackage("fleet-test-absent", tmp_path / "absent", "the web UI tests")
    notices: list[str] = []
    with pytest.raises(PrerequisiteMissing) as first:
        prerequisites.ensure(missing, notices.append)
    message = str(first.value)
    assert "\n" not in message
    assert "apt-get is not on this machine" in message
    assert "`sudo apt-get install -y --no-install-recommends fleet-test-absent`" in message
    assert notices == []
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # the failure is remembered, not retried
    with pytest.raises(PrerequisiteMissing) as second:
        prerequisites.ensure(missing, notices.append)
    assert second.value is first.value
    assert notices == []
