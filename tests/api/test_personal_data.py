"""Personal data is erasable (crypto-shredding): a user is created, signs in from his own
address, changes his settings, is audited, and is deleted; every projection is rebuilt
from the log; then his e-mail and his address are nowhere — not in any PostgreSQL row
(every column of every table, as text) and not in the raw bytes of the event stream —
and the API shows ``erased`` where they were.

Refused logins are left out on purpose: their source address belongs to no known user
and is sealed with the day's key, erased after ``FLEET_PERSONAL_DAY_KEY_DAYS`` (README).
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

import nats
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlalchemy import create_engine, text

from fleet.projections.catalog import select_projections
from fleet.projections.personal_keys import reveal_in
from fleet.projections.rebuild import Target, rebuild_all

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

USER_IP = "127.0.0.213"


def _opened(database_url: str, raw: bytes, user_id: str) -> set[str]:
    """Every value sealed with ``user_id``'s key in ``raw``, opened with the key store."""
    sealed = {
        m.decode() for m in re.findall(rb"pii1:" + user_id.encode() + rb":[A-Za-z0-9_=-]+", raw)
    }
    assert sealed
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return {reveal_in(connection, value) for value in sealed}
    finally:
        engine.dispose()


def _rows_containing(database_url: str, needles: list[str]) -> list[str]:
    """``schema.table`` of every row (all columns as text) holding one of ``needles``."""
    engine = create_engine(database_url)
    found: list[str] = []
    try:
        with engine.connect() as connection:
            tables = connection.execute(
                text(
                    "SELECT table_schema, table_name FROM information_schema.tables "
                    "WHERE table_type = 'BASE TABLE' "
                    "AND table_schema NOT IN ('pg_catalog', 'information_schema')"
                )
            ).all()
            assert len(tables) > 5, tables  # the read models are there to be searched
            for schema, table in tables:
                for needle in needles:
                    hits = connection.execute(
                        text(f'SELECT count(*) FROM "{schema}"."{table}" t WHERE t::text LIKE :n'),
                        {"n": f"%{needle}%"},
                    ).scalar_one()
                    if hits:
                        found.append(f"{schema}.{table}: {needle}")
    finally:
        engine.dispose()
    return found


async def _raw_stream(stack: Stack) -> bytes:
    """Every message of the domain stream, headers and payload, as stored."""
    nc = await nats.connect(stack.nats_admin_url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stack.store.spec.name)
        last = info.state.last_seq
        config = ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
        sub = await js.subscribe(
            f"{stack.store.spec.prefix}.>", ordered_consumer=True, config=config
        )
        chunks: list[bytes] = []
        while True:
            msg = await sub.next_msg(timeout=10)
            chunks.append(msg.data)
            chunks.extend(f"{k}:{v}".encode() for k, v in (msg.headers or {}).items())
            if msg.metadata.sequence.stream >= last:
                break
        await sub.unsubscribe()
        assert len(chunks) >= 10
        return b"\n".join(chunks)
    finally:
        await nc.close()


async def test_a_deleted_user_leaves_no_email_or_address_anywhere(
    stack: Stack, admin: Session
) -> None:
    username = f"gone-{uuid.uuid4().hex[:8]}"
    account = await stack.create_user(admin, "trader", username)
    email = f"{username}@example.com"
    trader = await stack.login(account, ip=USER_IP)  # changes the password on first login
    changed = await trader.put("/api/settings", json={"leverage": 7})
    assert changed.status_code == 200, changed.text
    again = await stack.login(account, ip=USER_IP)  # a second sign-in from his address
    await again.get("/api/settings")

    # while he exists, what was sealed reads back in the clear, and only there
    shown = await admin.get(f"/api/admin/users/{account.user_id}")
    assert shown.json()["email"] == email
    audit = await admin.get("/api/admin/audit", params={"actor": account.user_id})
    assert USER_IP in {entry["ip"] for entry in audit.json()["items"]}, audit.text
    raw = await _raw_stream(stack)
    assert email.encode() not in raw and USER_IP.encode() not in raw  # sealed in the log
    assert {email, USER_IP} <= _opened(stack.database_url, raw, account.user_id)
    found = _rows_containing(stack.database_url, [email, USER_IP])
    assert f"rm_users.users: {email}" in found, found  # the sweep sees plain values

    deleted = await admin.delete(f"/api/admin/users/{account.user_id}")
    assert deleted.status_code == 200, deleted.text

    audit = await admin.get("/api/admin/audit", params={"actor": account.user_id})
    ips = {entry["ip"] for entry in audit.json()["items"]}
    assert ips == {"erased"}, audit.text

    spec = stack.store.spec
    target = Target(stack.database_url, stack.nats_admin_url, spec.name, spec.prefix)
    await rebuild_all(select_projections([]), target, jobs=2)  # two at a time, in processes
    audit = await admin.get("/api/admin/audit", params={"actor": account.user_id})
    assert audit.json()["items"] and {e["ip"] for e in audit.json()["items"]} == {"erased"}

    assert _rows_containing(stack.database_url, [email, USER_IP]) == []
    raw = await _raw_stream(stack)
    assert email.encode() not in raw and USER_IP.encode() not in raw
    # the log kept its shape, and what it holds of him opens to nothing: his key is gone
    assert _opened(stack.database_url, raw, account.user_id) == {"erased"}


async def test_the_last_admin_cannot_be_deleted(stack: Stack, admin: Session) -> None:
    answer = await admin.delete(f"/api/admin/users/{admin.user_id}")
    assert answer.status_code in (400, 403, 409), answer.text
    assert (await admin.get("/api/auth/me")).status_code == 200
