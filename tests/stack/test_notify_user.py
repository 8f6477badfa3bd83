"""notify has its own NATS user, also in a data dir made before that user existed, and the
platform set-up makes the KV bucket it keeps its position in (it may not create one)."""

import json
import stat
from pathlib import Path

import nats
import pytest
from nats.errors import Error as NatsError
from nats.js.errors import Error as JetStreamError

from fleet.eventstore import NOTIFY_BUCKET, ensure_domain_stream
from fleet.notify.adapters.position import KvPosition
from fleet.stack import NatsServer
from fleet.stack.permissions import SERVICE_USERS

OLD_USERS = ("admin", "auth", "vault", "strategy", "executor", "gateway")


def old_data_dir(root: Path) -> dict[str, str]:
    """A data dir as ``fleet up`` left it before the notify user existed."""
    root.mkdir(parents=True)
    saved = {name: f"old-{name}-password" for name in OLD_USERS}
    (root / "users.json").write_text(json.dumps(saved))
    return saved


@pytest.mark.unit
def test_an_old_data_dir_gets_a_seed_per_service_and_keeps_the_admin_password(
    tmp_path: Path,
) -> None:
    saved = old_data_dir(tmp_path / "nats")
    server = NatsServer(tmp_path / "nats")
    assert "notify" in SERVICE_USERS
    assert server.passwords["admin"] == saved["admin"]
    assert set(server.seed_files) == set(SERVICE_USERS)
    for path in server.seed_files.values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_text().startswith("SU")
    config = (tmp_path / "nats" / "nats.conf").read_text()
    assert f'nkey: "{server.public_key("notify")}"' in config
    assert "old-notify" not in config and 'user: "notify"' not in config
    # a second start changes nothing
    again = NatsServer(tmp_path / "nats")
    assert {name: again.public_key(name) for name in SERVICE_USERS} == {
        name: server.public_key(name) for name in SERVICE_USERS
    }


@pytest.mark.integration
async def test_notify_connects_as_notify_to_the_bucket_the_platform_made(
    tmp_path: Path,
) -> None:
    old_data_dir(tmp_path / "nats")
    server = NatsServer(tmp_path / "nats")
    server.start()
    try:
        await ensure_domain_stream(server.admin_url)  # what fleet up and stream-init run
        nc = await nats.connect(**server.connect_options("notify"))
        try:
            position = KvPosition(nc.jetstream(), NOTIFY_BUCKET)
            assert await position.load() is None
            await position.save(42)
            assert await position.load() == 42
            # the bucket had to exist: the notify user may not create one
            with pytest.raises((NatsError, JetStreamError)):
                await KvPosition(nc.jetstream(timeout=1), "fleet_notify_other").save(1)
        finally:
            await nc.close()
    finally:
        server.stop()
