"""Finding 8: the embedded PostgreSQL asks every connection for a password (scram), the
password lives in the data dir with mode 0600, and an older trusting data dir is switched
to scram at its next start. It listens on TCP only, so a data dir deeper than a Unix
socket's 107-byte path limit (a CI checkout's pytest directory) starts too."""

import stat
from pathlib import Path

import psycopg
import pytest

from fleet.stack import PostgresServer
from fleet.stack.postgres import PASSWORD_FILE

pytestmark = pytest.mark.integration


def _refused(dsn: str) -> bool:
    try:
        psycopg.connect(dsn, connect_timeout=5).close()
    except psycopg.OperationalError as refused:
        print(f"refused: {str(refused).strip().splitlines()[-1]}")
        return True
    return False


def _assert_password_only(server: PostgresServer) -> None:
    assert _refused(server.public_dsn())  # TCP, no password
    assert not list(server.pgdata.glob(".s.PGSQL.*"))  # TCP only: no Unix socket at all
    assert _refused(server.public_dsn().replace("postgres@", "postgres:wrong@"))
    with psycopg.connect(server.dsn()) as connection:
        method = connection.execute(
            "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolcanlogin"
        )
        assert method.fetchone() == (True,)
    mode = stat.S_IMODE((server.data_dir / PASSWORD_FILE).stat().st_mode)
    assert mode == 0o600, oct(mode)


def test_the_embedded_postgresql_refuses_a_password_less_connection(tmp_path: Path) -> None:
    server = PostgresServer(tmp_path / "pg", fast_unsafe=True)
    server.start()
    try:
        _assert_password_only(server)
        assert server.password not in server.public_dsn()
    finally:
        server.stop()


def test_an_old_trusting_data_dir_is_switched_to_scram(tmp_path: Path) -> None:
    server = PostgresServer(tmp_path / "pg", fast_unsafe=True)
    server.start()
    server.stop()
    hba = server.pgdata / "pg_hba.conf"
    hba.write_text(hba.read_text().replace("scram-sha-256", "trust"))  # as initdb --auth=trust
    again = PostgresServer(tmp_path / "pg", fast_unsafe=True)
    again.start()
    try:
        _assert_password_only(again)
    finally:
        again.stop()


def test_a_data_dir_deeper_than_a_unix_socket_path_starts(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    server = PostgresServer(deep, fast_unsafe=True)
    assert len(str(server.pgdata / ".s.PGSQL.65535")) > 107
    server.start()
    try:
        with psycopg.connect(server.dsn()) as connection:
            assert connection.execute("SELECT 1").fetchone() == (1,)
    finally:
        server.stop()
