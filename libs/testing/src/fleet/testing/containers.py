"""The testcontainers path, used only when a Docker engine answers.

Each class exposes the attributes the binary launchers expose, so tests do not care which
one runs. This machine has no Docker engine; the binaries are what runs here.
"""

from __future__ import annotations

import contextlib
from typing import Any


def docker_answers() -> bool:
    """Whether a Docker engine answers a ping."""
    with contextlib.suppress(Exception):
        from testcontainers.core.docker_client import DockerClient

        DockerClient().client.ping()
        return True
    return False


class NatsContainer:
    """nats:2.12 with JetStream; no per-service users (binary path tests those)."""

    def __init__(self) -> None:
        from testcontainers.core.container import DockerContainer

        self._container: Any = (
            DockerContainer("nats:2.12").with_command("-js").with_exposed_ports(4222)
        )

    def start(self) -> None:
        self._container.start()
        port = self._container.get_exposed_port(4222)
        self.admin_url = f"nats://127.0.0.1:{port}"

    def url_for(self, user: str) -> str:
        return self.admin_url

    def connect_options(self, user: str) -> dict[str, str]:
        return {"servers": self.admin_url}

    def env_for(self, user: str) -> dict[str, str]:
        return {"FLEET_NATS_URL": self.admin_url}

    def kill(self) -> None:
        raise NotImplementedError("crash tests need the binary launcher")

    def stop(self) -> None:
        self._container.stop()


class PostgresContainer:
    """postgres:17."""

    def __init__(self) -> None:
        from testcontainers.postgres import PostgresContainer as Postgres

        self._container: Any = Postgres("postgres:17", username="postgres", driver="psycopg")

    def start(self) -> None:
        self._container.start()
        self.port = int(self._container.get_exposed_port(5432))

    def url(self, database: str = "postgres") -> str:
        password = self._container.password
        return f"postgresql+psycopg://postgres:{password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        dsn = self.url().replace("+psycopg", "")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        self._container.stop()
