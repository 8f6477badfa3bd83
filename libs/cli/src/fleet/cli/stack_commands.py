"""``fleet up``, ``fleet status``, ``fleet down``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Annotated

import httpx
import psutil
import typer
from rich.console import Console
from rich.table import Table

from fleet.cli.platform import Platform, PlatformOptions, StackError
from fleet.cli.state import StackState
from fleet.stack.process import port_answers

DataDir = Annotated[
    Path,
    typer.Option("--data-dir", envvar="FLEET_DATA_DIR", help="Where every part keeps its data."),
]
console = Console(stderr=True)


def up(
    data_dir: DataDir = Path(".fleet"),
    http_port: Annotated[
        int,
        typer.Option(envvar="FLEET_HTTP_PORT", min=1, max=65535, help="Gateway port on 127.0.0.1."),
    ] = 8080,
    sim_speed: Annotated[
        float,
        typer.Option(
            envvar="FLEET_SIM_SPEED", min=0.001, help="Simulated seconds per real second."
        ),
    ] = 60.0,
    log_level: Annotated[str, typer.Option(envvar="FLEET_LOG_LEVEL")] = "info",
    detach: Annotated[
        bool, typer.Option(help="Run in the background; stop with fleet down.")
    ] = False,
) -> None:
    """Start the whole platform on 127.0.0.1; Ctrl-C stops everything."""
    data_dir = data_dir.resolve()
    _refuse_second_stack(data_dir)
    if detach:
        _detach(data_dir, http_port, sim_speed, log_level)
        return
    options = PlatformOptions(data_dir, http_port, sim_speed, log_level)
    _run(Platform(options))


def _refuse_second_stack(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    state = StackState.load(data_dir)
    if state is not None and state.running():
        console.print(
            f"fleet up: a stack already runs from {data_dir} (pid "
            f"{state.supervisor_pid}); use fleet status / fleet down"
        )
        raise typer.Exit(1)


def _run(platform: Platform) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        platform.start(lambda part: console.print(f"  started {part}"))
    except StackError as exc:
        console.print(f"fleet up: {exc}")
        raise typer.Exit(1) from None
    platform.state().save(platform.options.data_dir)
    _print_parts(platform.state())
    console.print("Fleet is up. Press Ctrl-C to stop.")
    try:
        while not stop.is_set():
            stop.wait(0.5)
    except KeyboardInterrupt:
        pass
    console.print("stopping...")
    platform.stop()
    (platform.options.data_dir / "stack.json").unlink(missing_ok=True)
    console.print("stopped.")


def _detach(data_dir: Path, http_port: int, sim_speed: float, log_level: str) -> None:
    argv = [
        sys.executable,
        "-m",
        "fleet.cli",
        "up",
        "--data-dir",
        str(data_dir),
        "--http-port",
        str(http_port),
        "--sim-speed",
        str(sim_speed),
        "--log-level",
        log_level,
    ]
    log = (data_dir / "fleet-up.log").open("ab")
    child = subprocess.Popen(
        argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and child.poll() is None:
        if StackState.load(data_dir) is not None:
            console.print(f"Fleet is up in the background (pid {child.pid}); fleet down stops it.")
            return
        time.sleep(0.5)
    console.print(f"fleet up: the background stack did not start; see {data_dir}/fleet-up.log")
    raise typer.Exit(1)


def _health(url: str | None) -> str:
    if url is None:
        return "-"
    if url.startswith("tcp://"):
        _, _, port = url.removeprefix("tcp://").partition(":")
        return "ok" if port_answers(int(port)) else "down"
    try:
        return "ok" if httpx.get(url, timeout=2).status_code == 200 else "failing"
    except httpx.HTTPError:
        return "down"


def _print_parts(state: StackState) -> None:
    table = Table("part", "url", "pid", "health")
    for name, part in state.parts.items():
        table.add_row(name, part.url, str(part.pid or "-"), _health(part.health_url))
    Console().print(table)


def status(
    data_dir: DataDir = Path(".fleet"),
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """What runs where, and whether each part answers."""
    state = StackState.load(data_dir.resolve())
    if state is None or not state.running():
        console.print(f"fleet status: no stack runs from {data_dir.resolve()}")
        raise typer.Exit(1)
    if as_json:
        body: dict[str, object] = {name: part.url for name, part in state.parts.items()}
        body["parts"] = {
            name: {"url": p.url, "pid": p.pid, "health": _health(p.health_url)}
            for name, p in state.parts.items()
        }
        body["supervisor_pid"] = state.supervisor_pid
        print(json.dumps(body))
        return
    _print_parts(state)


def down(data_dir: DataDir = Path(".fleet")) -> None:
    """Stop a stack started with ``fleet up --detach`` (or from another terminal)."""
    state = StackState.load(data_dir.resolve())
    if state is None or not state.running():
        console.print("fleet down: nothing runs")
        return
    os.kill(state.supervisor_pid, signal.SIGTERM)
    try:
        psutil.Process(state.supervisor_pid).wait(timeout=60)
    except psutil.TimeoutExpired:
        console.print("fleet down: the stack did not stop within 60 s")
        raise typer.Exit(1) from None
    console.print("stopped.")
