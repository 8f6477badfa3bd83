"""The handlers against a real NATS stream, with a clock the test moves; two sets of
dependencies on one stream stand for two auth instances deciding at once."""

import asyncio
import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from fleet.auth.accounts import AuthDeps
from fleet.auth.adapters.clock import ManualClock
from fleet.auth.domain.identity import claim_key, email_claim_key
from fleet.auth.refusal_log import write_window
from fleet.auth.settings import AuthSettings
from fleet.auth.subscribers import HANDLERS, answer, register
from fleet.bus import make_broker
from fleet.cli.platform import bootstrap_admin, nats_asker
from fleet.events import AggregateId, AggregateRef, auth_commands, wrap
from fleet.events.catalog import domain_registry
from fleet.events.commands import Actor, CommandReply
from fleet.events.personal import is_sealed
from fleet.events.security import LOGINS_ID, SECURITY_AGGREGATE, AttackSuspected, LoginsRefused
from fleet.events.users import (
    AccessTokenCreated,
    EmailVerificationRequested,
    PasswordResetRequested,
    PasswordSet,
    Role,
    UsernameClaimed,
)
from fleet.eventstore import EventStore

pytestmark = pytest.mark.integration
PASSWORD = "correct horse battery"
ADMIN = Actor(user_id="admin-1", role="admin", ip="198.51.100.1")
MakeDeps = Callable[..., AuthDeps]  # the conftest factory


async def send(deps: AuthDeps, command: auth_commands.AuthCommand) -> CommandReply:
    body = command.model_dump_json().encode()
    return await answer(type(command), HANDLERS[type(command)], body, lambda: deps)


def login(
    username: str, password: str = PASSWORD, ip: str = "203.0.113.7"
) -> auth_commands.Authenticate:
    return auth_commands.Authenticate(username=username, password=password, actor=Actor(ip=ip))


async def new_user(deps: AuthDeps, username: str, role: Role = "trader") -> str:
    command = auth_commands.CreateUser(
        username=username, password=PASSWORD, email="", role=role, actor=ADMIN
    )
    reply = await send(deps, command)
    assert reply.ok, reply
    return str(reply.data["user_id"])


def code(reply: CommandReply) -> str:
    return reply.error.code if reply.error else "ok"


async def stored(store: EventStore, aggregate: str, aggregate_id: str) -> list[Any]:
    registry = domain_registry()
    ref = AggregateRef(type=aggregate, id=AggregateId(aggregate_id))
    return [registry.decode(envelope) for envelope in await store.load(ref)]


async def test_failures_throttle_the_pair_and_never_lock_the_account(
    deps: AuthDeps, clock: ManualClock, event_store: EventStore
) -> None:
    alice = await new_user(deps, "alice")
    codes = [code(await send(deps, login("alice", "wrong password!!"))) for _ in range(12)]
    assert codes == ["unauthenticated"] * 5 + ["throttled"] * 7  # refusals are not failures
    assert (await send(deps, login("alice", PASSWORD, "192.0.2.99"))).ok  # another source
    assert code(await send(deps, login("alice"))) == "throttled"  # the pair waits 1 s
    clock.advance(timedelta(seconds=1))
    assert (await send(deps, login("alice"))).ok
    types = [type(e).__name__ for e in await stored(event_store, "user", alice)]
    assert "LoginFailed" not in types and "UserLocked" not in types  # no event per failure


async def test_refusals_are_written_once_per_source_and_window_with_an_alert(
    make_deps: MakeDeps, event_store: EventStore, clock: ManualClock
) -> None:
    deps = make_deps(login_alert_threshold=10)
    for i in range(12):
        await send(deps, login(f"nobody{i % 3}", "wrong password!!", "192.0.2.77"))
    await send(deps, login("someone", "wrong password!!", "192.0.2.78"))
    assert await write_window(deps.tally, event_store, deps.personal, clock) == 3
    events = await stored(event_store, SECURITY_AGGREGATE, LOGINS_ID)
    refusals = [e for e in events if isinstance(e, LoginsRefused)]
    assert all(e.source_ip.startswith("pii1:day-2026-03-01:") for e in refusals)  # sealed
    by_source = {await deps.personal.reveal(e.source_ip): e for e in refusals}
    assert by_source["192.0.2.77"].refused == 12 and by_source["192.0.2.77"].accounts == 3
    assert by_source["192.0.2.77"].usernames == ("nobody0", "nobody1", "nobody2")
    alerts = [e for e in events if isinstance(e, AttackSuspected)]
    assert len(alerts) == 1 and alerts[0].refused == 13 and alerts[0].sources == 2
    assert await deps.personal.reveal(alerts[0].top_source_ip) == "192.0.2.77"
    assert await write_window(deps.tally, event_store, deps.personal, clock) == 0  # nothing new


async def test_an_ip_in_back_off_is_throttled_without_counting_against_the_user(
    deps: AuthDeps,
) -> None:
    await new_user(deps, "bob")
    ip = "192.0.2.50"
    for i in range(20):  # 20 unknown names, one wrong try each, from one IP
        assert code(await send(deps, login(f"spray{i}", "wrong password!!", ip))) == (
            "unauthenticated"
        )
    refused = await send(deps, login("bob", PASSWORD, ip))
    assert code(refused) == "throttled" and refused.error is not None
    assert refused.error.details["retry_after_s"] == 1.0
    assert (await send(deps, login("bob", PASSWORD, "192.0.2.51"))).ok  # not bob's failure


async def test_a_login_rehashes_a_password_hashed_with_old_parameters(
    deps: AuthDeps, make_deps: MakeDeps, event_store: EventStore
) -> None:
    user_id = await new_user(deps, "carol")
    stronger = make_deps(argon2_time_cost=2)
    assert (await send(stronger, login("carol"))).ok
    hashes = [e for e in await stored(event_store, "user", user_id) if isinstance(e, PasswordSet)]
    assert [e.reason for e in hashes] == ["initial", "rehashed"]
    assert all(e.password_hash.startswith(f"pii1:{user_id}:") for e in hashes)  # sealed
    opened = [await deps.personal.reveal(e.password_hash) for e in hashes]
    assert "t=1" in opened[0] and "t=2" in opened[1]
    assert (await send(stronger, login("carol"))).ok  # no second rehash needed
    assert (
        len([e for e in await stored(event_store, "user", user_id) if isinstance(e, PasswordSet)])
        == 2
    )


async def test_one_username_created_at_once_on_two_instances_is_held_once(
    deps: AuthDeps, make_deps: MakeDeps
) -> None:
    other = make_deps()
    commands = [
        auth_commands.CreateUser(
            username=name, password=PASSWORD, email="", role="trader", actor=ADMIN
        )
        for name in ("Dave", "dave", "DAVE", "dave ")
    ]
    replies = await asyncio.gather(
        *(send(deps if i % 2 else other, c) for i, c in enumerate(commands))
    )
    assert sorted(code(r) for r in replies) == ["conflict"] * 3 + ["ok"]


async def test_an_abandoned_claim_is_taken_over(deps: AuthDeps, event_store: EventStore) -> None:
    ref = AggregateRef(type="username", id=AggregateId(claim_key("erin")))
    claimed_at = deps.clock() - timedelta(minutes=5)  # its creator died before the user
    ghost = UsernameClaimed(username="erin", user_id="ghost", claimed_at=claimed_at)
    await event_store.append(ref, [wrap(ghost, ref)], expected_version=0)
    await new_user(deps, "erin")
    assert (await send(deps, login("erin"))).ok


async def test_the_last_active_admin_stays_even_against_two_instances(
    deps: AuthDeps, make_deps: MakeDeps
) -> None:
    first = await send(deps, auth_commands.BootstrapAdmin(username="root", password=PASSWORD + "!"))
    assert first.ok and first.data["created"] and "password" not in first.data
    root = str(first.data["user_id"])
    for refused in (
        auth_commands.DeleteUser(user_id=root),
        auth_commands.SetActive(user_id=root, active=False),
        auth_commands.ChangeRole(user_id=root, role="trader"),
    ):
        reply = await send(deps, refused)
        assert code(reply) == "conflict" and "last active admin" in str(reply.error), reply
    second = await new_user(deps, "ops", role="admin")
    other = make_deps()
    replies = await asyncio.gather(
        send(deps, auth_commands.SetActive(user_id=root, active=False)),
        send(other, auth_commands.SetActive(user_id=second, active=False)),
    )
    assert sorted(code(r) for r in replies) == ["conflict", "ok"]


async def test_bootstrap_generates_a_one_time_password_once(deps: AuthDeps) -> None:
    first = await send(deps, auth_commands.BootstrapAdmin())
    assert first.ok and first.data["created"] and first.data["username"] == "admin"
    generated = str(first.data["password"])
    reply = await send(deps, login("admin", generated))
    assert reply.ok and reply.data["must_change_password"] is True
    again = await send(deps, auth_commands.BootstrapAdmin(username="other", password=PASSWORD))
    assert again.data == {"created": False, "username": "other"}
    user_id = str(reply.data["user_id"])
    change = auth_commands.ChangePassword(
        user_id=user_id, current_password=generated, new_password=PASSWORD
    )
    assert (await send(deps, change)).ok
    assert (await send(deps, login("admin"))).data["must_change_password"] is False


async def test_fleet_up_gets_its_first_admin_over_nats_once(deps: AuthDeps, nats_url: str) -> None:
    broker = make_broker(AuthSettings(nats_url=nats_url))
    register(broker, lambda: deps)  # the service's subscribers, in this process
    await broker.start()
    try:
        said: list[str] = []
        again: list[str] = []
        await asyncio.to_thread(bootstrap_admin, nats_asker(nats_url), {}, said.append)
        await asyncio.to_thread(bootstrap_admin, nats_asker(nats_url), {}, again.append)
    finally:
        await broker.stop()
    assert again == []  # once
    assert said[0].startswith("first admin: admin, one-time password ")
    assert any("two-factor" in line for line in said[1:])
    generated = said[0].split("one-time password ")[1].split(" ")[0]
    reply = await send(deps, login("admin", generated))
    assert reply.ok and reply.data["must_change_password"] is True


async def test_deactivated_and_deleted_users_cannot_log_in(deps: AuthDeps) -> None:
    frank = await new_user(deps, "frank")
    assert (await send(deps, auth_commands.SetActive(user_id=frank, active=False, actor=ADMIN))).ok
    assert code(await send(deps, login("frank"))) == "forbidden"
    assert code(await send(deps, login("frank", "wrong password!!"))) == "unauthenticated"
    assert (await send(deps, auth_commands.DeleteUser(user_id=frank, actor=ADMIN))).ok
    assert code(await send(deps, login("frank"))) == "unauthenticated"
    assert code(await send(deps, auth_commands.DeleteUser(user_id=frank))) == "not_found"
    assert await new_user(deps, "Frank") != frank  # the name is free again


async def test_password_changes_and_resets(deps: AuthDeps) -> None:
    gina = await new_user(deps, "gina")
    strong = "n0t-a-weak-passphrase"
    wrong = auth_commands.ChangePassword(
        user_id=gina, current_password="not it at all", new_password=strong
    )
    assert code(await send(deps, wrong)) == "unauthenticated"
    same = auth_commands.ChangePassword(
        user_id=gina, current_password=PASSWORD, new_password=PASSWORD
    )
    refused = await send(deps, same)
    assert code(refused) == "invalid" and refused.error is not None
    assert refused.error.details == {"field": "new_password"}
    weak = await send(
        deps, auth_commands.ResetPassword(user_id=gina, new_password="gina-gina-gina")
    )
    assert code(weak) == "invalid"
    for weak_one in ("aaaaaaaaaaaa", "123456789012", "password1234", " " * 12, "n" * 16):
        refused = await send(deps, auth_commands.ResetPassword(user_id=gina, new_password=weak_one))
        assert code(refused) == "invalid" and refused.error is not None
        assert "weak" in refused.error.message, refused
    assert (await send(deps, auth_commands.ResetPassword(user_id=gina, new_password=strong))).ok
    reply = await send(deps, login("gina", strong))
    assert reply.ok and reply.data["must_change_password"] is True


async def test_grants_link_a_viewer_to_a_trader(deps: AuthDeps) -> None:
    viewer, trader = await new_user(deps, "vic", "viewer"), await new_user(deps, "tess")
    ok = await send(
        deps, auth_commands.ChangeViewerGrant(viewer_id=viewer, trader_id=trader, granted=True)
    )
    assert ok.data == {"status": "changed"}
    for viewer_id, trader_id, field in [
        (viewer, viewer, "trader_id"),
        (trader, trader, "viewer_id"),
        (viewer, "nobody", "trader_id"),
    ]:
        reply = await send(
            deps,
            auth_commands.ChangeViewerGrant(viewer_id=viewer_id, trader_id=trader_id, granted=True),
        )
        assert reply.error is not None and reply.error.details["field"] == field, reply


async def test_a_token_is_shown_once_and_only_its_hash_is_stored(
    deps: AuthDeps, event_store: EventStore
) -> None:
    holly = await new_user(deps, "holly")
    reply = await send(
        deps,
        auth_commands.CreateAccessToken(
            user_id=holly, token_name="ci", scope="write", expires_in_days=7
        ),
    )
    token = str(reply.data["token"])
    assert token.startswith("flt_") and len(token) > 40
    created = [
        e for e in await stored(event_store, "user", holly) if isinstance(e, AccessTokenCreated)
    ]
    assert created[0].token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert created[0].token_id == reply.data["token_id"] and created[0].expires_at is not None
    too_much = await send(
        deps, auth_commands.CreateAccessToken(user_id=holly, token_name="x", scope="admin")
    )
    assert code(too_much) == "invalid"


async def test_every_event_carries_the_commands_actor_and_correlation(
    deps: AuthDeps, event_store: EventStore
) -> None:
    command = auth_commands.CreateUser(
        username="jack",
        password=PASSWORD,
        email="jack@example.com",
        role="viewer",
        actor=ADMIN,
        correlation_id="req-42",
    )
    user_id = str((await send(deps, command)).data["user_id"])
    claim = AggregateRef(type="username", id=AggregateId(claim_key("jack")))
    email = AggregateRef(type="email", id=AggregateId(email_claim_key("jack@example.com")))
    user = AggregateRef(type="user", id=AggregateId(user_id))
    envelopes = [
        *await event_store.load(claim),
        *await event_store.load(email),
        *await event_store.load(user),
    ]
    assert [e.type for e in envelopes] == [
        "username.claimed",
        "email.claimed",
        "user.created",
        "user.password_set",
        "user.email_verification_requested",
    ]
    assert {(e.actor, e.correlation_id) for e in envelopes} == {("admin-1", "req-42")}


async def test_usernames_no_user_could_have_are_just_wrong(deps: AuthDeps) -> None:
    for name in ("", "a" * 500, "bad name", "x.y" * 20, "system"):
        reply = await send(deps, login(name))
        assert reply.error is not None and reply.error.code == "unauthenticated", (name, reply)


async def test_a_password_change_reset_role_change_and_deactivation_revoke_tokens(
    deps: AuthDeps,
) -> None:
    kim = await new_user(deps, "kim")

    async def live_after(command: auth_commands.AuthCommand) -> int:
        for name in ("a", "b"):
            made = auth_commands.CreateAccessToken(user_id=kim, token_name=name, scope="read")
            assert (await send(deps, made)).ok
        assert (await send(deps, command)).ok, command
        user = await deps.users.load(AggregateId(kim))
        return len(user.state.tokens)

    new = "a different passphrase entirely"
    assert (
        await live_after(
            auth_commands.ChangePassword(user_id=kim, current_password=PASSWORD, new_password=new)
        )
        == 0
    )
    assert await live_after(auth_commands.RevokeAllAccessTokens(user_id=kim)) == 0
    assert await live_after(auth_commands.ChangeRole(user_id=kim, role="viewer", actor=ADMIN)) == 0
    assert await live_after(auth_commands.SetActive(user_id=kim, active=False, actor=ADMIN)) == 0
    assert (await send(deps, auth_commands.SetActive(user_id=kim, active=True, actor=ADMIN))).ok
    assert (
        await live_after(auth_commands.ResetPassword(user_id=kim, new_password=new + " again")) == 0
    )


async def test_tokens_expire_within_the_maximum_and_are_counted(deps: AuthDeps) -> None:
    lee = await new_user(deps, "lee")
    made = await send(
        deps, auth_commands.CreateAccessToken(user_id=lee, token_name="ci", scope="read")
    )
    assert made.ok and made.data["expires_at"]  # no token without an expiry
    too_long = auth_commands.CreateAccessToken(
        user_id=lee, token_name="x", scope="read", expires_in_days=91
    )
    assert code(await send(deps, too_long)) == "invalid"
    for i in range(19):
        command = auth_commands.CreateAccessToken(user_id=lee, token_name=f"t{i}", scope="read")
        assert (await send(deps, command)).ok
    twenty_first = auth_commands.CreateAccessToken(user_id=lee, token_name="more", scope="read")
    assert code(await send(deps, twenty_first)) == "conflict"


async def test_a_user_who_must_change_the_password_gets_no_token(deps: AuthDeps) -> None:
    command = auth_commands.CreateUser(
        username="mia", password=PASSWORD, email="", role="trader", must_change_password=True
    )
    mia = str((await send(deps, command)).data["user_id"])
    assert (await send(deps, login("mia"))).data["must_change_password"] is True
    refused = await send(
        deps, auth_commands.CreateAccessToken(user_id=mia, token_name="x", scope="read")
    )
    assert code(refused) == "forbidden"


async def test_an_email_is_held_by_one_account_in_any_case(
    deps: AuthDeps, make_deps: MakeDeps, event_store: EventStore
) -> None:
    other = make_deps()
    commands = [
        auth_commands.CreateUser(
            username=f"mail{i}", password=PASSWORD, email=address, role="trader", actor=ADMIN
        )
        for i, address in enumerate(("Ann@Example.com", " ann@example.com", "ANN@EXAMPLE.COM"))
    ]
    replies = await asyncio.gather(
        *(send(deps if i % 2 else other, c) for i, c in enumerate(commands))
    )
    assert sorted(code(r) for r in replies) == ["conflict"] * 2 + ["ok"]
    assert all("e-mail" in r.error.message for r in replies if r.error)
    holder = next(str(r.data["user_id"]) for r in replies if r.ok)
    bob = await new_user(deps, "bobmail")
    taken = await send(
        deps, auth_commands.ChangeEmail(user_id=bob, email="aNN@example.COM ", actor=ADMIN)
    )
    assert code(taken) == "conflict"
    # the holder may change the case of his own address, then move away from it
    for address in ("ANN@example.com", "ann@elsewhere.org"):
        changed = await send(
            deps, auth_commands.ChangeEmail(user_id=holder, email=address, actor=ADMIN)
        )
        assert changed.ok, changed
    freed = await send(
        deps, auth_commands.ChangeEmail(user_id=bob, email="ann@example.com", actor=ADMIN)
    )
    assert freed.ok, freed
    # a deleted user's address is free again; no subject or event names the address
    assert (await send(deps, auth_commands.DeleteUser(user_id=holder, actor=ADMIN))).ok
    again = await new_user_with_email(deps, "annagain", "ann@elsewhere.org")
    assert again
    claims = await stored(event_store, "email", email_claim_key("ann@elsewhere.org"))
    assert [type(e).__name__ for e in claims] == ["EmailClaimed", "EmailReleased", "EmailClaimed"]
    assert all("elsewhere" not in e.model_dump_json() for e in claims)


async def new_user_with_email(deps: AuthDeps, username: str, email: str) -> str:
    command = auth_commands.CreateUser(
        username=username, password=PASSWORD, email=email, role="trader", actor=ADMIN
    )
    reply = await send(deps, command)
    assert reply.ok, reply
    return str(reply.data["user_id"])


async def mailed_links(deps: AuthDeps, store: EventStore, user_id: str) -> list[tuple[str, str]]:
    """(event type, token) of every link made for ``user_id``, opened as notify opens it."""
    events = await stored(store, "user", user_id)
    links = [
        (type(e).__name__, e.sealed_token)
        for e in events
        if isinstance(e, EmailVerificationRequested | PasswordResetRequested)
    ]
    assert all(is_sealed(token) for _, token in links), "a token in clear in the log"
    return [(kind, await deps.personal.reveal(token)) for kind, token in links]


async def test_a_new_address_gets_a_single_use_verification_link(
    deps: AuthDeps, clock: ManualClock, event_store: EventStore
) -> None:
    user_id = await new_user_with_email(deps, "vicky", "Vicky@example.com")
    [(kind, first)] = await mailed_links(deps, event_store, user_id)
    assert kind == "EmailVerificationRequested" and first.startswith(f"{user_id}.")
    [requested] = [
        e
        for e in await stored(event_store, "user", user_id)
        if isinstance(e, EmailVerificationRequested)
    ]
    assert requested.expires_at == clock() + timedelta(hours=24)
    # a newer link replaces the older one
    changed = auth_commands.ChangeEmail(user_id=user_id, email="vicky@example.org", actor=ADMIN)
    assert (await send(deps, changed)).ok
    second = (await mailed_links(deps, event_store, user_id))[-1][1]
    old = await send(deps, auth_commands.VerifyEmail(token=first))
    assert code(old) == "invalid" and old.error is not None
    assert old.error.details["field"] == "token" and "replaced" in old.error.message
    assert (await send(deps, auth_commands.VerifyEmail(token=second))).ok
    again = await send(deps, auth_commands.VerifyEmail(token=second))
    assert code(again) == "invalid"  # used
    for forged in ("nothing", f"{user_id}.{'A' * 43}", f"nobody.{'A' * 43}"):
        assert code(await send(deps, auth_commands.VerifyEmail(token=forged))) == "invalid"
    # expiry
    assert (
        await send(deps, auth_commands.ChangeEmail(user_id=user_id, email="v@x.org", actor=ADMIN))
    ).ok
    clock.advance(timedelta(hours=24))
    last = (await mailed_links(deps, event_store, user_id))[-1][1]
    late = await send(deps, auth_commands.VerifyEmail(token=last))
    assert code(late) == "invalid" and late.error is not None and "expired" in late.error.message
    events = await stored(event_store, "user", user_id)
    assert [type(e).__name__ for e in events].count("EmailVerified") == 1
    text = "".join(e.model_dump_json() for e in events)
    tokens = [token for _, token in await mailed_links(deps, event_store, user_id)]
    assert len(tokens) == 3
    assert all(t not in text and t.split(".")[1] not in text for t in tokens)
    assert "example.org" not in text  # the address is sealed


async def test_resending_a_verification_link_answers_the_same_and_is_throttled(
    deps: AuthDeps, clock: ManualClock, event_store: EventStore
) -> None:
    user_id = await new_user_with_email(deps, "rosa", "rosa@example.com")
    me = Actor(user_id=user_id, role="trader", ip="192.0.2.9")

    def resend(who: str = user_id) -> auth_commands.ResendVerification:
        return auth_commands.ResendVerification(user_id=who, actor=me)

    first = await send(deps, resend())
    assert first.ok and first.data == {"status": "accepted"}
    links = await mailed_links(deps, event_store, user_id)
    assert len(links) == 2  # at creation, and this one (which replaces it)
    assert code(await send(deps, auth_commands.VerifyEmail(token=links[0][1]))) == "invalid"
    assert (await send(deps, auth_commands.VerifyEmail(token=links[1][1]))).ok
    verified = await send(deps, resend())  # the same answer, no new link
    assert verified.model_dump() == first.model_dump()
    assert len(await mailed_links(deps, event_store, user_id)) == 2
    assert (await send(deps, resend())).ok
    assert code(await send(deps, resend())) == "throttled"  # 3 at once, then one per 5 min
    clock.advance(timedelta(minutes=5))
    assert (await send(deps, resend())).ok
    assert code(await send(deps, resend("nobody"))) == "not_found"


async def test_a_password_reset_link_works_once_for_a_verified_address(
    deps: AuthDeps, clock: ManualClock, event_store: EventStore
) -> None:
    user_id = await new_user_with_email(deps, "rita", "Rita@example.com")
    [(_, verification)] = await mailed_links(deps, event_store, user_id)

    async def ask(email: str) -> CommandReply:
        request = auth_commands.RequestPasswordReset(email=email, actor=Actor(ip="192.0.2.5"))
        reply = await send(deps, request)
        await deps.background.idle()  # the look-up and the link come after the answer
        return reply

    async def resets() -> list[str]:
        links = await mailed_links(deps, event_store, user_id)
        return [token for kind, token in links if kind == "PasswordResetRequested"]

    # unverified, unknown, malformed: the same answer, no link
    answers = [await ask(e) for e in ("rita@example.com", "no@example.com", "x")]
    assert [a.model_dump() for a in answers] == [answers[0].model_dump()] * 3
    assert answers[0].ok and answers[0].data == {"status": "accepted"} and await resets() == []
    assert (await send(deps, auth_commands.VerifyEmail(token=verification))).ok
    known = await ask(" RITA@example.com")
    assert known.model_dump() == answers[0].model_dump()
    [first] = await resets()
    [requested] = [
        e
        for e in await stored(event_store, "user", user_id)
        if isinstance(e, PasswordResetRequested)
    ]
    assert requested.expires_at == clock() + timedelta(minutes=30)
    await ask("rita@example.com")
    second = (await resets())[-1]

    def confirm(token: str, password: str = "a brand new passphrase 42") -> Any:
        return auth_commands.ConfirmPasswordReset(token=token, new_password=password)

    superseded = await send(deps, confirm(first))
    assert code(superseded) == "invalid" and superseded.error is not None
    assert "replaced" in superseded.error.message
    weak = await send(deps, confirm(second, "aaaaaaaaaaaa"))
    assert code(weak) == "invalid" and weak.error is not None
    assert weak.error.details["field"] == "new_password"
    done = await send(deps, confirm(second))
    assert done.ok and done.data["user_id"] == user_id
    assert code(await send(deps, confirm(second))) == "invalid"  # used
    assert (await send(deps, login("rita", "a brand new passphrase 42"))).ok
    # a password change ends a pending link; so does time
    await ask("rita@example.com")
    pending = (await resets())[-1]
    change = auth_commands.ChangePassword(
        user_id=user_id,
        current_password="a brand new passphrase 42",
        new_password="another fine passphrase 7",
        actor=Actor(user_id=user_id, ip="192.0.2.5"),
    )
    assert (await send(deps, change)).ok, "password change"
    assert code(await send(deps, confirm(pending))) == "invalid"
    await ask("rita@example.com")
    clock.advance(timedelta(minutes=30))
    late = await send(deps, confirm((await resets())[-1]))
    assert late.error is not None and "expired" in late.error.message
    events = await stored(event_store, "user", user_id)
    text = "".join(e.model_dump_json() for e in events)
    tokens = [token for _, token in await mailed_links(deps, event_store, user_id)]
    assert all(t not in text and t.split(".")[1] not in text for t in tokens)
    reasons = [e.reason for e in events if isinstance(e, PasswordSet)]
    assert reasons == ["initial", "reset", "changed"]


class _HeldLookUp:
    """The e-mail claims' repository, holding every look-up until ``gate`` opens."""

    def __init__(self, inner: Any, gate: asyncio.Event) -> None:
        self._inner, self._gate = inner, gate
        self.started = 0

    async def load(self, aggregate_id: AggregateId) -> Any:
        self.started += 1
        await self._gate.wait()
        return await self._inner.load(aggregate_id)


async def test_a_reset_request_is_answered_before_the_address_is_looked_up(
    deps: AuthDeps, event_store: EventStore
) -> None:
    """The timing class, proven by structure rather than by a stopwatch: both answers are
    sent while every look-up is still held, so nothing the look-up finds (a known, verified
    address or none) can change when, or what, the caller is answered."""
    user_id = await new_user_with_email(deps, "hana", "hana@example.com")
    [(_, verification)] = await mailed_links(deps, event_store, user_id)
    assert (await send(deps, auth_commands.VerifyEmail(token=verification))).ok
    gate = asyncio.Event()
    held = _HeldLookUp(deps.emails, gate)
    deps.emails = held  # type: ignore[assignment]
    answers = []
    for address in ("hana@example.com", "nobody@example.com"):
        request = auth_commands.RequestPasswordReset(email=address, actor=Actor(ip="192.0.2.6"))
        answers.append(await asyncio.wait_for(send(deps, request), timeout=30))
    assert answers[0].model_dump() == answers[1].model_dump() and answers[0].ok
    await asyncio.sleep(0.05)
    assert held.started == 2  # both look-ups began, and neither has finished
    assert not any(
        k == "PasswordResetRequested" for k, _ in await mailed_links(deps, event_store, user_id)
    )
    gate.set()
    await deps.background.idle()
    kinds = [k for k, _ in await mailed_links(deps, event_store, user_id)]
    assert kinds.count("PasswordResetRequested") == 1  # the known address, once


async def test_a_full_background_refuses_every_address_alike(deps: AuthDeps) -> None:
    """More reset requests in flight than the budget holds: ``auth_busy`` for any address
    (the refusal depends on the load, not on who asked for what)."""
    gate = asyncio.Event()
    deps.emails = _HeldLookUp(deps.emails, gate)  # type: ignore[assignment]
    codes = []
    for i in range(deps.budget.max_in_flight + 2):
        request = auth_commands.RequestPasswordReset(
            email=f"u{i}@example.com", actor=Actor(ip=f"192.0.2.{10 + i}")
        )
        codes.append(code(await send(deps, request)))
    assert codes[: deps.budget.max_in_flight] == ["ok"] * deps.budget.max_in_flight
    assert set(codes[deps.budget.max_in_flight :]) == {"throttled"}
    gate.set()
    await deps.background.idle()
    assert code(await send(deps, request)) == "ok"  # the slots came back
