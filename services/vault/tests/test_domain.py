"""The credential aggregate's decisions and the per-hour signature counter (pure)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from fleet.events import AggregateId
from fleet.vault.domain.connect_gate import ConnectGate
from fleet.vault.domain.credential import Credential
from fleet.vault.domain.policy import AccountSnapshot, judge
from fleet.vault.signature_counter import SignatureCounter

pytestmark = pytest.mark.unit
SNAPSHOT = AccountSnapshot(Decimal(100), "USDT-M perpetual", (2, 3), ("203.0.113.7",))


def connected() -> Credential:
    credential = Credential(AggregateId("u1"))
    credential.connect(SNAPSHOT, "vault:v1:abc", "WXYZ", 1)
    return credential


def types(credential: Credential) -> list[str]:
    return [event.event_type for event in credential.pending]


def test_an_update_replaces_and_switches_the_key_version() -> None:
    credential = connected()
    credential.connect(SNAPSHOT, "vault:v1:def", "ABCD", 2)
    assert credential.pending[-1].replaced_previous is True  # type: ignore[attr-defined]
    assert (credential.state.signing_key_version, credential.state.api_key_last4) == (2, "ABCD")


def test_health_checks_record_only_changes() -> None:
    credential = connected()
    credential.verified(SNAPSHOT, only_on_change=True)
    credential.failed("Incorrect apiKey", 100413)
    credential.failed("Incorrect apiKey", 100413)
    credential.verified(SNAPSHOT, only_on_change=True)
    credential.verified(SNAPSHOT, only_on_change=True)
    assert types(credential)[1:] == ["credential.verification_failed", "credential.verified"]
    assert credential.pending[-1].recovered is True  # type: ignore[attr-defined]
    credential.verified(SNAPSHOT)  # asked for: always recorded
    assert types(credential)[-1] == "credential.verified"


def test_one_signing_outage_event_until_it_is_over() -> None:
    credential = connected()
    credential.signing_works()  # nothing was wrong
    credential.signing_failed("Vault unreachable")
    credential.signing_failed("Vault unreachable")
    credential.signing_works()
    credential.signing_works()
    assert types(credential)[1:] == [
        "credential.signing_unavailable",
        "credential.signing_restored",
    ]
    never = Credential(AggregateId("u2"))
    never.signing_failed("Vault unreachable")  # no credential, nothing to say
    assert never.pending == ()


def test_disconnect_forgets_the_ciphertext() -> None:
    credential = connected()
    credential.disconnect("by the user")
    credential.disconnect("twice")
    assert types(credential)[1:] == ["credential.disconnected"]
    assert credential.state.api_key_ciphertext == "" and not credential.connected


def test_withdraw_is_refused_and_missing_whitelist_warned() -> None:
    withdraw = AccountSnapshot(Decimal(1), "x", (2, 3, 5), ())
    assert "withdraw" in (judge(withdraw, ()).refusal or "")
    unbound = judge(AccountSnapshot(Decimal(1), "x", (2, 3), ()), ("198.51.100.1",))
    assert unbound.refusal is None and "198.51.100.1" in unbound.warnings[0]


def test_signatures_are_counted_in_the_hour_they_were_made() -> None:
    now = [datetime(2026, 1, 1, 9, 59, tzinfo=UTC)]
    counter = SignatureCounter(lambda: now[0])
    counter.count("u1")
    counter.count("u2", 3)
    assert counter.drain() == []  # the hour is not over
    now[0] += timedelta(minutes=2)
    counter.count("u1")
    now[0] += timedelta(minutes=30)  # the drain runs late: 9:00 still gets only its own
    assert counter.drain() == [(datetime(2026, 1, 1, 9, tzinfo=UTC), {"u1": 1, "u2": 3})]
    assert counter.drain(force=True) == [(datetime(2026, 1, 1, 10, tzinfo=UTC), {"u1": 1})]
    assert counter.drain(force=True) == []


def test_connect_attempts_wait_for_the_users_and_the_platforms_budget() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    gate = ConnectGate(user_per_minute=6, user_burst=2, platform_per_minute=60, platform_burst=3)
    assert [gate.admit("u1", now) for _ in range(3)] == [0, 0, 10.0]  # u1's burst is 2
    assert gate.admit("u2", now) == 0  # the platform's third
    assert gate.admit("u3", now) == 1.0  # the platform's burst is spent for everyone
    assert gate.admit("u3", now + timedelta(seconds=1)) == 0
