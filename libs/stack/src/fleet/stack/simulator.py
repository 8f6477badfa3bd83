"""The BingX simulator as a child process (``python -m fleet.bingx_sim``) on a free port:
used by ``fleet up``, the test fixture and the benchmarks (launched, never imported)."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

from fleet.stack.process import ManagedProcess, free_port


class SimulatorServer:
    """``bingx-sim`` on a loopback address (127.0.0.1 unless ``host`` names another, e.g.
    127.0.0.2 standing for BingX VST) with any extra command-line flags."""

    def __init__(
        self,
        log_dir: Path,
        *,
        speed: float = 60.0,
        port: int | None = None,
        extra: list[str] | None = None,
        env: dict[str, str] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://{host}:{self.port}"
        self.ws_url = f"ws://{host}:{self.port}/swap-market"
        argv = [
            sys.executable,
            "-m",
            "fleet.bingx_sim",
            "--host",
            host,
            "--port",
            str(self.port),
            "--speed",
            str(speed),
            *(extra or []),
        ]
        self.process = ManagedProcess("bingx_sim", argv, log_dir / "bingx_sim.log", env=env)

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).is_success
        except httpx.HTTPError:
            return False

    def start(self) -> None:
        """Start and wait until it answers."""
        self.process.start()
        self.process.wait_until(self._answers, timeout=30)

    def stop(self) -> None:
        self.process.stop()
