"""``fleet events quarantine``: lists what readers passed over; nothing to reach is exit 2."""

from __future__ import annotations

import asyncio
from pathlib import Path

import nats
import pytest
from typer.testing import CliRunner

from fleet.cli.main import app
from fleet.eventstore.quarantine import Quarantined, QuarantineLog
from fleet.eventstore.stream import ensure_quarantine_bucket


def test_without_a_running_stack_it_says_so_with_exit_code_2(tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["events", "quarantine", "--data-dir", str(tmp_path)], env={})
    assert done.exit_code == 2
    assert "no stack runs from" in done.output
    assert "Traceback" not in done.output


async def _quarantine(nats_url: str, stream: str, sequences: tuple[int, ...]) -> None:
    nc = await nats.connect(nats_url)
    try:
        await ensure_quarantine_bucket(nc.jetstream())
        log = QuarantineLog(nc.jetstream())
        for sequence in sequences:
            await log.record(Quarantined(stream, sequence, "ev.user.x", "forged"))
    finally:
        await nc.close()


@pytest.mark.integration
def test_lists_each_quarantined_message_of_the_stream(nats_url: str, namespace: str) -> None:
    stream = f"EV_{namespace}"
    asyncio.run(_quarantine(nats_url, stream, (12, 3)))
    runner = CliRunner()
    args = ["events", "quarantine", "--nats-url", nats_url, "--stream", stream]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    lines = done.stdout.strip().splitlines()  # log lines (stderr) may come with it
    assert [line.split("\t")[0] for line in lines] == [f"{stream} #3", f"{stream} #12"]
    assert all(line.endswith("\tforged") for line in lines)
