"""``<data dir>/stack.json``: what ``fleet up`` started, where, with which pids."""

from __future__ import annotations

import json
from pathlib import Path

import psutil
from pydantic import BaseModel

STATE_FILE = "stack.json"


class Part(BaseModel):
    """One running part: its public URL (no credentials), pid and health URL."""

    url: str
    pid: int | None = None
    health_url: str | None = None


class StackState(BaseModel):
    """The whole stack as last written by ``fleet up``."""

    supervisor_pid: int
    parts: dict[str, Part]

    def save(self, data_dir: Path) -> None:
        """Write atomically."""
        tmp = data_dir / f"{STATE_FILE}.tmp"
        tmp.write_text(self.model_dump_json(indent=2))
        tmp.replace(data_dir / STATE_FILE)

    @classmethod
    def load(cls, data_dir: Path) -> StackState | None:
        """The saved state, or ``None``."""
        path = data_dir / STATE_FILE
        if not path.exists():
            return None
        return cls.model_validate(json.loads(path.read_text()))

    def running(self) -> bool:
        """Whether the ``fleet up`` that wrote this state is still alive."""
        return psutil.pid_exists(self.supervisor_pid)
