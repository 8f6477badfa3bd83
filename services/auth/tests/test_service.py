"""The auth service as a process (``python -m fleet.auth``) over a real NATS server, with
the service's own NATS user: every command answered, brute force throttled then locked,
unknown names indistinguishable, state rebuilt from the log after a restart, and no
password or token in any event or log line."""

import asyncio
import json
import os
import sys
from typing import TYPE_CHECKING, Any

import pytest

from fleet.events import auth_commands
from fleet.events.commands import Actor, command_subject
from fleet.eventstore import EventStore

if TYPE_CHECKING:
    from services.auth.tests.conftest import RunningAuth

pytestmark = pytest.mark.integration
PASSWORD = "correct horse battery staple"
ADMIN = Actor(user_id="admin-1", role="admin", ip="198.51.100.1")
Reply = dict[str, Any]


class Service:
    """The running service, remembering every password and token the tests used."""

    def __init__(self, running: "RunningAuth") -> None:
        self.running = running
        self.nc = running.nc
        self.secrets: list[str] = []

    async def ask(self, command: auth_commands.AuthCommand) -> Reply:
        for name in ("password", "current_password", "new_password"):
            value = getattr(command, name, None)
            if value:
                self.secrets.append(value)
        return await self.running.ask(command)

    async def new_user(self, username: str, role: str = "trader") -> str:
        command = auth_commands.CreateUser.model_validate(
            {"username": username, "password": PASSWORD, "email": "", "role": role, "actor": ADMIN}
        )
        reply = await self.ask(command)
        assert reply["ok"], reply
        return str(reply["data"]["user_id"])

    async def assert_no_secret_stored_or_logged(self) -> None:
        events = await all_events(self.running.store)
        logged = self.running.log.read_text()
        assert "cmd.auth.authenticate" in logged  # the log is the service's, and it logs
        for secret in set(self.secrets):
            assert secret not in events, "a secret is in the event log"
            assert secret not in logged, "a secret is in the service log"


async def all_events(store: EventStore) -> str:
    last = await store.last_sequence()
    lines = []
    async for stored in store.subscribe():
        lines.append(stored.envelope.model_dump_json())
        if stored.envelope.sequence == last:
            break
    return "\n".join(lines)


def login(username: str, password: str, ip: str) -> auth_commands.Authenticate:
    return auth_commands.Authenticate(username=username, password=password, actor=Actor(ip=ip))


def code(reply: Reply) -> str:
    return "ok" if reply["ok"] else str(reply["error"]["code"])


@pytest.fixture(scope="module")
def service(auth_service: "RunningAuth") -> Service:
    return Service(auth_service)


async def test_every_command_is_answered(service: Service) -> None:
    admin = await service.ask(
        auth_commands.BootstrapAdmin(username="root", password="admin " + PASSWORD)
    )
    assert admin["ok"] and admin["data"]["created"], admin
    trader = await service.new_user("Trader.One")
    viewer = await service.new_user("viewer-one", "viewer")
    token = await service.ask(
        auth_commands.CreateAccessToken(user_id=trader, token_name="ci", scope="read")
    )
    service.secrets.append(token["data"]["token"])
    expected: list[tuple[auth_commands.AuthCommand, str]] = [
        (login("trader.one", PASSWORD, "192.0.2.1"), "ok"),
        (
            auth_commands.ChangePassword(
                user_id=trader, current_password=PASSWORD, new_password="n3w pass phrase, long"
            ),
            "ok",
        ),
        (auth_commands.ResetPassword(user_id=trader, new_password=PASSWORD), "ok"),
        (auth_commands.ChangeEmail(user_id=trader, email="t1@example.com"), "ok"),
        (auth_commands.ChangeEmail(user_id=trader, email="not an address"), "invalid"),
        (auth_commands.UpdateTradingSettings(user_id=trader, changes={"leverage": 10}), "ok"),
        (auth_commands.UpdateTradingSettings(user_id=trader, changes={"leverage": 500}), "invalid"),
        (auth_commands.UpdateTradingSettings(user_id=viewer, changes={"leverage": 10}), "invalid"),
        (auth_commands.ChangeViewerGrant(viewer_id=viewer, trader_id=trader, granted=True), "ok"),
        (auth_commands.ChangeViewerGrant(viewer_id=viewer, trader_id=trader, granted=False), "ok"),
        (
            auth_commands.RevokeAccessToken(user_id=trader, token_id=token["data"]["token_id"]),
            "not_found",
        ),
        (
            auth_commands.RevokeAllAccessTokens(user_id=trader),
            "ok",
        ),  # the password change revoked it
        (auth_commands.ChangeRole(user_id=viewer, role="trader"), "ok"),
        (auth_commands.SetActive(user_id=viewer, active=False), "ok"),
        (auth_commands.UnlockUser(user_id=viewer), "ok"),
        (auth_commands.DeleteUser(user_id=viewer), "ok"),
        (auth_commands.DeleteUser(user_id=viewer), "not_found"),
        (auth_commands.ChangeRole(user_id="no.such.user", role="admin"), "not_found"),
        (auth_commands.DeleteUser(user_id=admin["data"]["user_id"]), "conflict"),
        (
            auth_commands.CreateUser(username="x", password=PASSWORD, email="", role="viewer"),
            "invalid",
        ),
        (
            auth_commands.CreateUser(
                username="TRADER.one", password=PASSWORD, email="", role="viewer"
            ),
            "conflict",
        ),
        (auth_commands.BootstrapAdmin(), "ok"),
    ]
    for command, wanted in expected:
        reply = await service.ask(command)
        assert code(reply) == wanted, (command, reply)
    await service.assert_no_secret_stored_or_logged()


async def test_malformed_commands_get_an_invalid_reply_naming_the_field(
    service: Service,
) -> None:
    subject = command_subject(auth_commands.CreateUser)
    cases = [
        (b"{not json", "body"),
        (b'{"username": "zed", "password": "pw pw pw pw pw", "email": ""}', "role"),
        (b'{"username": "zed", "password": 5, "email": "", "role": "trader"}', "password"),
        (b'{"username": "z", "password": "p", "email": "", "role": "god"}', "role"),
    ]
    for body, field in cases:
        reply = json.loads((await service.nc.request(subject, body, timeout=10)).data)
        assert reply["error"]["code"] == "invalid" and reply["error"]["details"]["field"] == field
    assert "pw pw pw pw pw" not in service.running.log.read_text()


async def test_fifty_wrong_passwords_throttle_one_source_and_lock_nothing(
    service: Service,
) -> None:
    user_id = await service.new_user("brute.target")
    ip = "203.0.113.66"
    codes = [
        code(await service.ask(login("brute.target", f"guess-{i:04}-wrong", ip))) for i in range(50)
    ]
    assert codes[:5] == ["unauthenticated"] * 5
    assert codes[5] == "throttled" and set(codes) == {"unauthenticated", "throttled"}
    # refused before hashing, never locked; on a slow machine a back-off may run out
    # between two guesses and let one more through (the next back-off is twice as long)
    assert codes.count("throttled") >= 40
    welcome = await service.ask(login("brute.target", PASSWORD, "203.0.113.67"))
    assert welcome["ok"] and welcome["data"]["user_id"] == user_id
    await service.assert_no_secret_stored_or_logged()


async def test_unknown_usernames_and_wrong_passwords_get_identical_replies(
    service: Service,
) -> None:
    await service.new_user("real.user")
    real = [
        await service.ask(login("real.user", "wrong password 1", "192.0.2.10")) for _ in range(14)
    ]
    fake = [
        await service.ask(login("no.such.user", "wrong password 1", "192.0.2.11"))
        for _ in range(14)
    ]
    assert (
        real[0]
        == fake[0]
        == {
            "ok": False,
            "data": {},
            "error": {
                "code": "unauthenticated",
                "message": "wrong username or password",
                "details": {},
            },
        }
    )

    def shape(reply: Reply) -> tuple[str, str, list[str]]:
        error = reply["error"]
        return error["code"], error["message"], sorted(error["details"])

    assert [shape(r) for r in real] == [shape(r) for r in fake]
    assert {shape(r)[0] for r in real} == {"unauthenticated", "throttled"}


async def test_a_restart_rebuilds_names_from_the_log(service: Service) -> None:
    await service.new_user("kept.name")
    await service.running.restart()
    assert (await service.ask(login("kept.name", PASSWORD, "192.0.2.22")))["ok"]
    taken = auth_commands.CreateUser(
        username="Kept.Name", password=PASSWORD, email="", role="viewer"
    )
    assert code(await service.ask(taken)) == "conflict"
    await service.assert_no_secret_stored_or_logged()


async def test_bad_settings_stop_the_service_with_one_line_and_exit_2() -> None:
    env = os.environ | {
        "FLEET_NATS_URL": "nats://127.0.0.1:1",  # never reached: settings come first
        "FLEET_LOGIN_PAIR_FREE_FAILURES": "ten",
        "FLEET_TRADING_SYMBOLS": "BTC-USDT,btc-usdt",
    }
    auth = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fleet.auth", env=env, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(auth.communicate(), 30)
    lines = err.decode().strip().splitlines()
    assert auth.returncode == 2 and len(lines) == 1, lines
    assert "FLEET_LOGIN_PAIR_FREE_FAILURES" in lines[0] and "FLEET_TRADING_SYMBOLS" in lines[0]
