"""``fleet admin create`` against a running auth service: the password from the
environment or prompted twice, NATS from ``--nats-url`` or from a running ``fleet up``
data dir; every bad input one line and exit code 2, the password never printed."""

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

from fleet.cli.main import app
from fleet.events.auth_commands import Authenticate
from fleet.stack import free_port

if TYPE_CHECKING:
    from services.auth.tests.conftest import RunningAuth

pytestmark = pytest.mark.integration
PASSWORD = "a long admin passphrase"
CLEAN_ENV: dict[str, str | None] = {
    "FLEET_ADMIN_PASSWORD": None,
    "FLEET_NATS_URL": None,
    "FLEET_DATA_DIR": None,
}


def fleet_up_data_dir(nats_server: Any, root: Path, supervisor_pid: int) -> Path:
    """What a running ``fleet up`` leaves in its data dir, for this NATS server."""
    data_dir = root / "fleet-data"
    (data_dir / "nats").mkdir(parents=True)
    for name in ("users.json", "ports.json"):
        shutil.copy(nats_server.data_dir / name, data_dir / "nats" / name)
    state = {"supervisor_pid": supervisor_pid, "parts": {}}
    (data_dir / "stack.json").write_text(json.dumps(state))
    return data_dir


def run_cli(args: list[str], input_text: str | None = None, **env: str) -> Any:
    return CliRunner(env=CLEAN_ENV | env).invoke(app, ["admin", "create", *args], input=input_text)


async def test_the_installed_command_reads_the_password_from_the_environment(
    auth_service: "RunningAuth", nats_server: Any
) -> None:
    argv = ["admin", "create", "Ops.Admin", "--email", "ops@example.com"]
    fleet = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "fleet.cli", *argv, "--nats-url", nats_server.admin_url],
        env=os.environ | {"FLEET_ADMIN_PASSWORD": PASSWORD},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = (stream.decode() for stream in await asyncio.wait_for(fleet.communicate(), 60))
    assert fleet.returncode == 0, err
    assert out.startswith("admin Ops.Admin created (user id ")
    assert PASSWORD not in out + err
    reply = await auth_service.ask(Authenticate(username="ops.admin", password=PASSWORD))
    assert reply["ok"] and reply["data"]["role"] == "admin", reply


def test_it_prompts_twice_and_finds_nats_in_the_data_dir(
    auth_service: "RunningAuth", nats_server: Any, tmp_path: Path
) -> None:
    data_dir = fleet_up_data_dir(nats_server, tmp_path, os.getpid())
    result = run_cli(["prompted", "--data-dir", str(data_dir)], f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "admin prompted created" in result.stdout and PASSWORD not in result.output


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["x"], PASSWORD, "username: a username is 3-32 characters"),
        (["weak.one"], "short", "password: a password has at least 12 characters"),
        (["weak.two"], "weak.two-weak.two", "password: a password must not contain"),
        (["ops.admin"], PASSWORD, "the username 'ops.admin' is taken"),
        (["bad.mail", "--email", "nope"], PASSWORD, "email: an e-mail address looks like"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    auth_service: "RunningAuth", nats_server: Any, args: list[str], password: str, message: str
) -> None:
    url = nats_server.admin_url
    result = run_cli([*args, "--nats-url", url], FLEET_ADMIN_PASSWORD=password)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [
        f"fleet admin create: {result.stderr.split(': ', 1)[1].strip()}"
    ]
    assert message in result.stderr and password not in result.output


def test_nothing_running_is_exit_2(tmp_path: Path) -> None:
    stopped = fleet_up_data_dir_without_nats(tmp_path)
    unanswered = f"nats://127.0.0.1:{free_port()}"
    for args, message in [
        (["--data-dir", str(tmp_path / "empty")], "no stack runs from"),
        (["--data-dir", str(stopped)], "its fleet up has stopped"),
        (["--nats-url", unanswered], "NATS does not answer"),
    ]:
        result = run_cli(["someone", *args], FLEET_ADMIN_PASSWORD=PASSWORD)
        assert result.exit_code == 2, result.output
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def fleet_up_data_dir_without_nats(root: Path) -> Path:
    data_dir = root / "stopped"
    (data_dir / "nats").mkdir(parents=True)
    (data_dir / "nats" / "users.json").write_text(json.dumps({"admin": "pw"}))
    (data_dir / "nats" / "ports.json").write_text(json.dumps({"port": free_port()}))
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    (data_dir / "stack.json").write_text(
        json.dumps({"supervisor_pid": int(dead.stdout), "parts": {}})
    )
    return data_dir
