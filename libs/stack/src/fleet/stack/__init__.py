"""Launchers for the real parts: nats-server, PostgreSQL, OpenBao (pip-installed binaries)."""
