# TEMPORARY: replaced by the fleet.testing plugin fixtures when they land.
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


class _Nats:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp())
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.admin_url = f"nats://127.0.0.1:{self.port}"
        self.store_dir = self.dir / "js"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        exe = Path(sys.executable).parent / "nats-server"
        self.proc = subprocess.Popen(
            [str(exe), "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(self.store_dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.1).close()
                return
            except OSError:
                time.sleep(0.05)

    def kill(self) -> None:
        assert self.proc
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()


@pytest.fixture(scope="session")
def nats_server() -> Iterator[_Nats]:
    server = _Nats()
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.dir, ignore_errors=True)


@pytest.fixture
def nats_url(nats_server: _Nats) -> str:
    return nats_server.admin_url


@pytest.fixture
def namespace() -> str:
    return "t" + uuid.uuid4().hex[:10]
