"""``fleet up`` on a fresh data dir, ``fleet status``, Ctrl-C, and a second ``fleet up``
that finds the events, the read models and the Vault transit keys of the first."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import hvac
import nats
import nkeys
import psutil
import psycopg
import pytest

from fleet.events import AggregateId, AggregateRef, wrap
from fleet.events.audit import AuditRecorded
from fleet.events.auth_commands import Authenticate
from fleet.events.commands import command_subject
from fleet.eventstore import EventStore, StreamSpec
from fleet.stack import free_port
from fleet.stack.process import ManagedProcess

pytestmark = pytest.mark.e2e
FLEET = [sys.executable, "-m", "fleet.cli"]


def start(data_dir: Path, port: int, started: list[ManagedProcess]) -> subprocess.Popen[bytes]:
    """``fleet up`` in its own session, dying with this test process (PDEATHSIG), and
    recorded so that a failing test still stops it (a failure once leaked two stacks)."""
    argv = [*FLEET, "up", "--data-dir", str(data_dir), "--http-port", str(port)]
    process = ManagedProcess("fleet-up", argv, data_dir.parent / f"fleet-up-{len(started)}.log")
    process.start()
    started.append(process)
    assert process.proc is not None
    return process.proc


def wait_until_up(data_dir: Path, fleet_up: subprocess.Popen[bytes]) -> dict[str, object]:
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        if fleet_up.poll() is not None:
            logs = sorted(data_dir.parent.glob("fleet-up-*.log"))
            tail = logs[-1].read_text(errors="replace")[-3000:] if logs else "(no log)"
            raise AssertionError(f"fleet up exited with {fleet_up.returncode}:\n{tail}")
        if (data_dir / "stack.json").exists():
            done = subprocess.run(
                [*FLEET, "status", "--data-dir", str(data_dir), "--json"],
                capture_output=True,
                text=True,
                check=True,
            )
            return dict(json.loads(done.stdout))
        time.sleep(0.5)
    raise AssertionError("fleet up did not come up in 150 s")


def stop(fleet_up: subprocess.Popen[bytes], pids: list[int]) -> None:
    fleet_up.send_signal(signal.SIGINT)
    assert fleet_up.wait(60) == 0
    time.sleep(0.5)
    alive = [
        pid
        for pid in pids
        if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    ]
    assert alive == [], f"processes left behind: {alive}"


def admin_nats_url(data_dir: Path) -> str:
    users = json.loads((data_dir / "nats" / "users.json").read_text())
    port = json.loads((data_dir / "nats" / "ports.json").read_text())["port"]
    return f"nats://admin:{users['admin']}@127.0.0.1:{port}"


def forget_notify_user(data_dir: Path) -> None:
    """Make the data dir one from before the ``notify`` NATS user existed."""
    (data_dir / "nats" / "nkeys" / "notify.nk").unlink()


def nats_users_connected(data_dir: Path) -> set[str]:
    """The NATS users of the open client connections (nats-server's /connz): a service's
    NKEY named by its seed file."""
    names = {
        nkeys.from_seed(bytearray(seed.read_bytes().strip())).public_key.decode(): seed.stem
        for seed in (data_dir / "nats" / "nkeys").glob("*.nk")
    }
    port = json.loads((data_dir / "nats" / "ports.json").read_text())["monitor_port"]
    answer = httpx.get(f"http://127.0.0.1:{port}/connz?auth=true&limit=1024", timeout=5)
    users = {c.get("authorized_user", "") for c in answer.json()["connections"]}
    return {names.get(user, user) for user in users}


def root_vault(data_dir: Path, addr: str) -> hvac.Client:
    keys = json.loads((data_dir / "openbao" / "openbao-keys.json").read_text())
    return hvac.Client(url=addr, token=keys["root_token"])


async def append_marker(url: str) -> str:
    nc = await nats.connect(url)
    store = EventStore(nc, StreamSpec())
    # a declared event type: read models stop, by design, on types they do not know
    aggregate = AggregateRef(type="audit", id=AggregateId("e2e-marker"))
    note = AuditRecorded(action="e2e.marker", actor_id="e2e", actor_role="admin", ip="127.0.0.1")
    event = wrap(note, aggregate)
    await store.append(aggregate, [event], expected_version=0)
    await nc.close()
    return event.id


async def login(url: str, username: str, password: str) -> dict[str, object]:
    nc = await nats.connect(url)
    command = Authenticate(username=username, password=password)
    answer = await nc.request(command_subject(command), command.model_dump_json().encode(), 30)
    await nc.close()
    return dict(json.loads(answer.data))


def postgres_dsn(data_dir: Path, status: dict[str, object]) -> str:
    """The shown address (no password) with the password from the data dir's 0600 file."""
    password = (data_dir / "postgres" / "postgres-password").read_text().strip()
    assert password not in str(status["postgres"])
    return str(status["postgres"]).replace("postgres@", f"postgres:{password}@", 1)


def first_admin_password(log: Path) -> str:
    """The one-time password ``fleet up`` printed for the first admin."""
    lines = [line for line in log.read_text().splitlines() if "one-time password" in line]
    assert len(lines) == 1, lines
    return lines[0].split("one-time password ")[1].split(" ")[0]


async def load_markers(url: str) -> list[str]:
    nc = await nats.connect(url)
    events = await EventStore(nc, StreamSpec()).load(
        AggregateRef(type="audit", id=AggregateId("e2e-marker"))
    )
    await nc.close()
    return [e.id for e in events]


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "fleet-data"


@pytest.fixture
def started() -> Iterator[list[ManagedProcess]]:
    processes: list[ManagedProcess] = []
    yield processes
    for process in processes:
        process.stop(timeout=60)  # SIGTERM: fleet up stops every part, then exits


def test_fleet_up_status_ctrl_c_and_resume(data_dir: Path, started: list[ManagedProcess]) -> None:
    port = free_port()
    data_dir.mkdir(parents=True)
    first = start(data_dir, port, started)
    status = wait_until_up(data_dir, first)
    for part in ("gateway", "bingx_sim", "nats", "postgres", "vault"):
        assert part in status, part
    parts = status["parts"]
    assert isinstance(parts, dict)
    assert all(p["health"] == "ok" for p in parts.values()), parts
    assert status["gateway"] == f"http://127.0.0.1:{port}"
    pids = [p["pid"] for p in parts.values()]
    password = first_admin_password(data_dir.parent / "fleet-up-0.log")
    admin = asyncio.run(login(admin_nats_url(data_dir), "admin", password))
    assert admin["ok"], admin
    assert json.loads(json.dumps(admin))["data"]["must_change_password"] is True

    marker = asyncio.run(append_marker(admin_nats_url(data_dir)))
    with psycopg.connect(postgres_dsn(data_dir, status), autocommit=True) as conn:
        conn.execute("CREATE TABLE e2e_marker (note text)")
        conn.execute("INSERT INTO e2e_marker VALUES ('kept')")
    root_vault(data_dir, str(status["vault"])).adapter.post("/v1/transit/keys/fleet-e2e", json={})
    assert "notify" in nats_users_connected(data_dir)  # notify runs as its own user
    stop(first, pids)

    forget_notify_user(data_dir)  # an older data dir: its seed is added at start
    second = start(data_dir, port, started)
    status = wait_until_up(data_dir, second)
    try:
        assert "notify" in nats_users_connected(data_dir)
        assert asyncio.run(load_markers(admin_nats_url(data_dir))) == [marker]
        with psycopg.connect(postgres_dsn(data_dir, status)) as conn:
            assert conn.execute("SELECT note FROM e2e_marker").fetchall() == [("kept",)]
        keys = root_vault(data_dir, str(status["vault"])).adapter.list("/v1/transit/keys")
        assert "fleet-e2e" in keys["data"]["keys"]
        assert "first admin" not in (data_dir.parent / "fleet-up-1.log").read_text()
    finally:
        parts = status["parts"]
        assert isinstance(parts, dict)
        stop(second, [p["pid"] for p in parts.values()])
    assert not (data_dir / "stack.json").exists()
    assert os.stat(data_dir / "openbao" / "openbao-keys.json").st_mode & 0o077 == 0
