"""A Fleet service (``python -m fleet.<name>``) as a real child process in a test: started
with an environment, ready when its ``/healthz`` answers 200, stopped or SIGKILLed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx

from fleet.stack import free_port
from fleet.stack.process import ManagedProcess


class ServiceProcess:
    """One service process; ``env`` adds to (and overrides) the test's environment."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.log_path = log_dir / f"{name}-{self.port}.log"
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = os.environ | {"FLEET_HTTP_HOST": "127.0.0.1", "FLEET_HTTP_PORT": str(self.port)}
        self.process = ManagedProcess(
            name, [sys.executable, "-m", f"fleet.{name}"], self.log_path, env=full_env | env
        )

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def start(self, timeout: float = 60.0) -> ServiceProcess:
        """Start and wait until healthy (the log's tail is in the error if it is not)."""
        self.process.start()
        self.process.wait_until(self._healthy, timeout=timeout)
        return self

    def stop(self) -> None:
        self.process.stop()

    def kill(self) -> None:
        """SIGKILL: no clean-up, no release of leases (crash tests)."""
        self.process.kill()

    def log(self) -> str:
        """Everything the service wrote so far."""
        return self.log_path.read_text() if self.log_path.exists() else ""
