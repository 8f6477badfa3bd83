"""Every service refuses bad settings at start with one line naming the variable."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("service", ["auth", "vault", "strategy", "executor", "gateway", "notify"])
def test_bad_port_is_one_clear_line_and_exit_2(service: str) -> None:
    env = os.environ | {"FLEET_HTTP_PORT": "eighty"}
    done = subprocess.run(
        [sys.executable, "-m", f"fleet.{service}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "FLEET_HTTP_PORT" in lines[0]


def test_simulator_refuses_a_bad_speed() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fleet.bingx_sim", "--speed", "-1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--speed" in done.stderr and "Traceback" not in done.stderr
