"""Child processes that never outlive their parent, with logs and readiness waits."""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from fleet.events.errors import FleetError

PR_SET_PDEATHSIG = 1
RESERVED_PORTS = {4222, 5432, 8200}  # the machine's own NATS / PostgreSQL / Vault


class StackError(FleetError, RuntimeError):
    """A part could not start or answer; the message says which and why, in one line."""

    error_code = "stack"


# Test workers running side by side (pytest-xdist sets PYTEST_XDIST_WORKER, inherited by
# the servers a worker starts) take ports from their own band below the kernel's ephemeral
# range: a port one worker probed free cannot be handed to another, nor to an outgoing
# connection's local end, before its server binds it. Eight bands fit below the range;
# a ninth worker and later share a band with an earlier one (the suite runs two).
WORKER_BANDS_FROM = 20000
WORKER_BAND_SIZE = 1500
WORKER_BANDS = 8


def _worker_band() -> range | None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or not worker[2:].isdigit():
        return None
    start = WORKER_BANDS_FROM + int(worker[2:]) % WORKER_BANDS * WORKER_BAND_SIZE
    return range(start, start + WORKER_BAND_SIZE)


_HANDED_OUT: set[int] = set()  # this process's band ports given, not handed out again


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (never one of the machine's own services'); in a test
    worker, one of its own band's, tried in random order and never one this process handed
    out before (a probed port is free again until its server binds it: nine ports of one
    cluster once held a pair), until half the band is used."""
    band = _worker_band()
    while True:
        candidate = 0
        if band is not None:
            if len(_HANDED_OUT) >= len(band) // 2:
                _HANDED_OUT.clear()
            candidate = secrets.choice(band)
            if candidate in _HANDED_OUT:
                continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port = int(probe.getsockname()[1])
        if port not in RESERVED_PORTS:
            if band is not None:
                _HANDED_OUT.add(port)
            return port


def bin_dir() -> Path:
    """Where pip put the console binaries of this environment."""
    return Path(sys.executable).parent


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    os.setsid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def port_answers(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


# OpenBao's Go runtime on the embedded stack runs Go code on one thread at a time. It
# shares 2 cores with NATS, PostgreSQL and every Fleet process; with a thread per core,
# Go's idle threads spin looking for work, taking CPU the other processes would have used.
# With a core taken by another process, a transit HMAC cost OpenBao 0.24 ms of CPU with
# one thread against 0.32 ms with two (4 runs each, alternated), and 2,300 against 2,000
# went through a second. An operator's own GOMAXPROCS wins. (nats-server keeps Go's
# default: no gain was measured, and its raw reads are bench/eventstore.py's baseline.)
EMBEDDED_GO_THREADS = "1"


def go_environment() -> dict[str, str]:
    """The environment a Go server starts with: this process's, with ``GOMAXPROCS``
    defaulted to :data:`EMBEDDED_GO_THREADS`."""
    return {"GOMAXPROCS": EMBEDDED_GO_THREADS} | dict(os.environ)


class ManagedProcess:
    """One child process in its own session, killed with its parent (PDEATHSIG)."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        *,
        env: dict[str, str] | None = None,
        user: int | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = env
        self.user = user
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The child's pid while it runs."""
        return self.proc.pid if self.proc and self.proc.poll() is None else None

    def start(self) -> None:
        """Start the child; its output goes to the log file."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                user=self.user,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - setsid + PDEATHSIG only
            )

    def wait_until(self, ready: Callable[[], bool], timeout: float = 30.0) -> None:
        """Wait for ``ready()``; raise :class:`StackError` with the log's tail otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise StackError(f"{self.name} exited with {self.proc.returncode}: {self.tail()}")
            if ready():
                return
            time.sleep(0.05)
        raise StackError(f"{self.name} did not become ready in {timeout:.0f} s: {self.tail()}")

    def tail(self, lines: int = 3) -> str:
        """The last lines of the log, on one line."""
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(text[-lines:]) or "(empty log)"

    def stop(self, timeout: float = 10.0, signum: signal.Signals = signal.SIGTERM) -> None:
        """``signum`` (SIGTERM unless told), wait, then SIGKILL: the child and its process
        group are gone."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signum)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL at once (crash tests)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
