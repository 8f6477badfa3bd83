"""Two-factor authentication in the auth service: enrolment, the login's second step, the
back-off of wrong codes, recovery codes, disabling; the secret sealed in the log."""

import asyncio
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest

from fleet.auth.accounts import AuthDeps
from fleet.auth.adapters.clock import ManualClock
from fleet.auth.adapters.personal_keys import InMemoryPersonalData
from fleet.auth.domain import two_factor
from fleet.auth.domain.user import User
from fleet.auth.errors import Conflict, InvalidInput
from fleet.auth.subscribers import HANDLERS, answer
from fleet.events import AggregateId, AggregateRef, auth_commands
from fleet.events.catalog import domain_registry
from fleet.events.commands import Actor, CommandReply
from fleet.events.personal import is_sealed, new_key
from fleet.events.users import TotpEnabled, TotpEnrolmentStarted
from fleet.eventstore import EventStore

pytestmark = pytest.mark.integration
PASSWORD = "correct horse battery"
ADMIN = Actor(user_id="admin-1", role="admin", ip="198.51.100.1")
IP = "203.0.113.7"
MakeDeps = Callable[..., AuthDeps]


async def send(deps: AuthDeps, command: auth_commands.AuthCommand) -> CommandReply:
    body = command.model_dump_json().encode()
    return await answer(type(command), HANDLERS[type(command)], body, lambda: deps)


def code_of(reply: CommandReply) -> str:
    return reply.error.code if reply.error else "ok"


def login(username: str, totp_code: str = "", password: str = PASSWORD) -> Any:
    return auth_commands.Authenticate(
        username=username, password=password, totp_code=totp_code, actor=Actor(ip=IP)
    )


async def enrolled(deps: AuthDeps, clock: ManualClock, username: str) -> tuple[str, str, list[str]]:
    """A new trader with two-factor authentication on: (user id, secret, recovery codes)."""
    created = await send(
        deps,
        auth_commands.CreateUser(
            username=username, password=PASSWORD, email="", role="trader", actor=ADMIN
        ),
    )
    user_id = str(created.data["user_id"])
    me = Actor(user_id=user_id, role="trader", ip=IP)
    started = await send(deps, auth_commands.StartTotpEnrolment(user_id=user_id, actor=me))
    assert started.ok, started
    secret = str(started.data["secret"])
    assert started.data["otpauth_uri"].startswith("otpauth://totp/Fleet:")
    now_code = pyotp.TOTP(secret).at(clock())
    confirmed = await send(
        deps, auth_commands.ConfirmTotp(user_id=user_id, code=now_code, actor=me)
    )
    assert confirmed.ok, confirmed
    clock.advance(timedelta(seconds=30))  # the confirming code's step is used: a new one
    return user_id, secret, list(confirmed.data["recovery_codes"])


async def test_enrolment_seals_the_secret_and_stores_only_recovery_hashes(
    deps: AuthDeps, clock: ManualClock, event_store: EventStore
) -> None:
    user_id, secret, codes = await enrolled(deps, clock, "tina")
    assert len(codes) == 10 and len(set(codes)) == 10
    ref = AggregateRef(type="user", id=AggregateId(user_id))
    events = [domain_registry().decode(e) for e in await event_store.load(ref)]
    started = next(e for e in events if isinstance(e, TotpEnrolmentStarted))
    assert is_sealed(started.secret) and secret not in started.secret
    enabled = next(e for e in events if isinstance(e, TotpEnabled))
    wanted = {hashlib.sha256(c.encode()).hexdigest() for c in codes}
    assert set(enabled.recovery_code_sha256) == wanted


async def test_the_password_alone_asks_for_the_code_and_the_code_signs_in(
    deps: AuthDeps, clock: ManualClock
) -> None:
    _, secret, _ = await enrolled(deps, clock, "uma")
    first = await send(deps, login("uma"))
    assert code_of(first) == "unauthenticated"
    assert first.error is not None and first.error.details["second_factor"] == "totp"
    second = await send(deps, login("uma", pyotp.TOTP(secret).at(clock())))
    assert second.ok and second.data["totp_enabled"] is True
    wrong_password = await send(deps, login("uma", password="not the password"))
    assert wrong_password.error is not None and "second_factor" not in wrong_password.error.details


async def test_wrong_codes_meet_the_password_back_off(deps: AuthDeps, clock: ManualClock) -> None:
    _, secret, _ = await enrolled(deps, clock, "vera")
    wrong = "000000" if pyotp.TOTP(secret).at(clock()) != "000000" else "111111"
    codes = [code_of(await send(deps, login("vera", wrong))) for _ in range(7)]
    assert codes == ["unauthenticated"] * 5 + ["throttled"] * 2
    # even the right code waits now: the pair is in back-off
    assert code_of(await send(deps, login("vera", pyotp.TOTP(secret).at(clock())))) == "throttled"
    clock.advance(timedelta(seconds=120))
    assert (await send(deps, login("vera", pyotp.TOTP(secret).at(clock())))).ok


async def test_a_recovery_code_works_once(deps: AuthDeps, clock: ManualClock) -> None:
    await enrolled(deps, clock, "wendy")
    _, _, codes = await enrolled(deps, clock, "xena")
    assert (await send(deps, login("xena", codes[3]))).ok
    assert code_of(await send(deps, login("xena", codes[3]))) == "unauthenticated"
    assert (await send(deps, login("xena", codes[4].upper()))).ok  # case does not matter


async def test_malformed_codes_are_invalid_and_naming_the_field(
    deps: AuthDeps, clock: ManualClock
) -> None:
    await enrolled(deps, clock, "yara")
    reply = await send(deps, login("yara", "12ab56"))
    assert code_of(reply) == "invalid" and reply.error is not None
    assert reply.error.details["field"] == "totp_code"


async def test_disable_needs_a_right_code_then_the_password_suffices(
    deps: AuthDeps, clock: ManualClock
) -> None:
    user_id, secret, _ = await enrolled(deps, clock, "zoe")
    me = Actor(user_id=user_id, role="trader", ip=IP)
    bad = await send(deps, auth_commands.DisableTotp(user_id=user_id, code="999999", actor=me))
    good_code = pyotp.TOTP(secret).at(clock())
    if good_code != "999999":
        assert code_of(bad) == "invalid"
    again = await send(deps, auth_commands.StartTotpEnrolment(user_id=user_id, actor=me))
    assert code_of(again) == "conflict"  # already on
    ok = await send(deps, auth_commands.DisableTotp(user_id=user_id, code=good_code, actor=me))
    assert ok.ok and ok.data["status"] == "changed"
    assert (await send(deps, login("zoe"))).ok


def test_code_and_secret_shapes() -> None:
    assert two_factor.kind_of("123456") == "totp"
    assert two_factor.kind_of(" ABCD-0123-4567-89ef ") == "recovery"
    for bad in ("12345", "1234567", "abcdef", "abcd-0123-4567", ""):
        with pytest.raises(InvalidInput):
            two_factor.kind_of(bad)
    assert two_factor.check_secret(two_factor.new_secret())
    for bad in ("short", "a" * 32, "1" * 32, "A" * 31):
        with pytest.raises(InvalidInput):
            two_factor.check_secret(bad)
    codes = two_factor.new_recovery_codes()
    assert len(codes) == 10 and all(two_factor.kind_of(c) == "recovery" for c in codes)


async def test_an_admins_requirement_is_recorded_once(deps: AuthDeps) -> None:
    created = await send(
        deps,
        auth_commands.CreateUser(
            username="ruth", password=PASSWORD, email="", role="viewer", actor=ADMIN
        ),
    )
    user_id = str(created.data["user_id"])
    statuses = [
        (
            await send(deps, auth_commands.RequireTotp(user_id=user_id, required=r, actor=ADMIN))
        ).data["status"]
        for r in (True, True, False)
    ]
    assert statuses == ["changed", "unchanged", "changed"]
    unknown = auth_commands.RequireTotp(user_id="nobody", required=True, actor=ADMIN)
    assert code_of(await send(deps, unknown)) == "not_found"


def test_a_code_is_good_once_in_its_window() -> None:
    secret = two_factor.new_secret()
    now = datetime(2026, 3, 1, 12, 0, 10, tzinfo=UTC)
    code = pyotp.TOTP(secret).at(now)
    step = two_factor.totp_step(secret, code, now)
    assert step == pyotp.TOTP(secret).timecode(now)
    # within its validity window (one step of drift) but already used: refused
    for later in (now, now + timedelta(seconds=25), now + timedelta(seconds=45)):
        assert two_factor.totp_step(secret, code, later, after=step) is None
    # a code of a later step is still good; an earlier one is not
    following = pyotp.TOTP(secret).at(now + timedelta(seconds=30))
    assert two_factor.totp_step(secret, following, now, after=step) == step + 1
    previous = pyotp.TOTP(secret).at(now - timedelta(seconds=30))
    assert two_factor.totp_step(secret, previous, now, after=step) is None


def test_the_user_refuses_a_login_with_a_step_already_used() -> None:
    user = User(AggregateId("u-1"))
    user.login_succeeded("ip", "agent", 100)
    assert user.state.totp_last_step == 100
    for replayed in (100, 99):
        with pytest.raises(Conflict):
            user.login_succeeded("ip", "agent", replayed)
    user.login_succeeded("ip", "agent", None)  # a recovery code or no second factor
    user.login_succeeded("ip", "agent", 101)
    assert user.state.totp_last_step == 101


async def test_a_code_that_signed_in_cannot_sign_in_again(
    deps: AuthDeps, clock: ManualClock
) -> None:
    _, secret, _ = await enrolled(deps, clock, "wanda")
    code = pyotp.TOTP(secret).at(clock())
    assert (await send(deps, login("wanda", code))).ok
    clock.advance(timedelta(seconds=20))  # the code is still inside its validity window
    replayed = await send(deps, login("wanda", code))
    assert code_of(replayed) == "unauthenticated" and replayed.error is not None
    assert replayed.error.message == "wrong code"
    clock.advance(timedelta(seconds=30))
    assert (await send(deps, login("wanda", pyotp.TOTP(secret).at(clock())))).ok
    # two logins racing with one fresh code: one wins
    clock.advance(timedelta(seconds=30))
    fresh = pyotp.TOTP(secret).at(clock())
    replies = await asyncio.gather(*(send(deps, login("wanda", fresh)) for _ in range(2)))
    assert sorted(code_of(r) for r in replies) == ["ok", "unauthenticated"]


async def test_a_code_of_a_used_time_step_is_refused_everywhere_and_counts(
    deps: AuthDeps, clock: ManualClock
) -> None:
    """Replay: the code that confirmed the enrolment does not sign in; the code a sign-in
    used does not switch two-factor authentication off; each refusal is a failure."""
    created = await send(
        deps,
        auth_commands.CreateUser(
            username="quinn", password=PASSWORD, email="", role="trader", actor=ADMIN
        ),
    )
    user_id = str(created.data["user_id"])
    me = Actor(user_id=user_id, role="trader", ip=IP)
    started = await send(deps, auth_commands.StartTotpEnrolment(user_id=user_id, actor=me))
    secret = str(started.data["secret"])
    confirming = pyotp.TOTP(secret).at(clock())
    confirm = auth_commands.ConfirmTotp(user_id=user_id, code=confirming, actor=me)
    assert (await send(deps, confirm)).ok
    replayed = await send(deps, login("quinn", confirming))
    assert code_of(replayed) == "unauthenticated"
    clock.advance(timedelta(seconds=30))
    signing_in = pyotp.TOTP(secret).at(clock())
    assert (await send(deps, login("quinn", signing_in))).ok
    disable = auth_commands.DisableTotp(user_id=user_id, code=signing_in, actor=me)
    refused = await send(deps, disable)
    assert code_of(refused) == "invalid" and refused.error is not None
    assert refused.error.message == "wrong code"
    # the refused replay counted like a wrong password (a sign-in cleared the count):
    # with four wrong codes it makes the five that start the back-off
    wrong = "000000" if signing_in != "000000" else "111111"
    codes = [code_of(await send(deps, login("quinn", wrong))) for _ in range(5)]
    assert codes == ["unauthenticated"] * 4 + ["throttled"], codes
    clock.advance(timedelta(seconds=120))
    fresh = pyotp.TOTP(secret).at(clock())
    disable = auth_commands.DisableTotp(user_id=user_id, code=fresh, actor=me)
    assert (await send(deps, disable)).ok


async def test_a_secret_that_no_longer_opens_is_a_clear_refusal_not_a_failure(
    deps: AuthDeps, clock: ManualClock
) -> None:
    """A malformed TOTP secret (here: its data key replaced, so it opens to ``erased``)
    makes every code wrong — a 4xx answer naming ``code`` — never an internal error."""
    user_id, secret, _ = await enrolled(deps, clock, "olga")
    assert two_factor.totp_step("erased", "123456", clock()) is None
    assert two_factor.totp_step("not base32!", "123456", clock()) is None
    personal = deps.personal
    assert isinstance(personal, InMemoryPersonalData)
    personal.keys[user_id] = new_key()  # the sealed secret no longer opens
    me = Actor(user_id=user_id, role="trader", ip=IP)
    code = pyotp.TOTP(secret).at(clock())
    reply = await send(deps, auth_commands.DisableTotp(user_id=user_id, code=code, actor=me))
    assert code_of(reply) == "invalid" and reply.error is not None
    assert reply.error.details["field"] == "code"
