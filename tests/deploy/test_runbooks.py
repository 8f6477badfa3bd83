"""Every ``fleet …`` command a runbook names exists: each runs with ``--help`` (in
process, through the same Typer app the ``fleet`` script runs)."""

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fleet.cli.main import app

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
RUNBOOKS = sorted((ROOT / "deploy").glob("RUNBOOK*.md"))
# `fleet …` as written in a code span: the words before the first option or argument.
COMMAND = re.compile(r"(?:^|[\s`])(?:\./)?fleet((?: [a-z][a-z-]*)+)")


def commands() -> list[str]:
    found: set[str] = set()
    for runbook in RUNBOOKS:
        # "-n fleet" is kubectl's namespace, not the command
        text = runbook.read_text().replace("-n fleet", "")
        for span in re.findall(r"`([^`]+)`", text):
            found |= {words.strip() for words in COMMAND.findall(span)}
    return sorted(found)


def test_the_runbooks_name_fleet_commands() -> None:
    assert RUNBOOKS and {"up", "projections rebuild", "admin create"} <= set(commands())


@pytest.mark.parametrize("command", commands())
def test_every_fleet_command_in_a_runbook_exists(command: str) -> None:
    answer = CliRunner().invoke(app, [*command.split(), "--help"])
    assert answer.exit_code == 0, f"fleet {command}: {answer.output[-300:]}"
