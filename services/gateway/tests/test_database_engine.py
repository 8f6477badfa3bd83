"""The gateway's engine outlives PostgreSQL cutting its connections (a restart, a
failover): a pooled connection the server closed is replaced at checkout rather than
handed to a request, which answered 503 (OperationalError) after a PostgreSQL restart."""

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from fleet.gateway.main import database_engine

pytestmark = pytest.mark.integration


def test_a_pooled_connection_the_server_closed_is_replaced(database_url: str) -> None:
    engine = database_engine(database_url)
    admin = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:  # back in the pool after the block
            cut = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with admin.connect() as connection:  # as a restart's fast shutdown ends it
            ended = connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": cut})
            assert ended.scalar_one() is True
        with engine.connect() as connection:
            now = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert now != cut
    finally:
        engine.dispose()
        admin.dispose()
