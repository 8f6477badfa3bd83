"""Sealing personal data: what a key seals opens only with that key and that subject,
reads as ``erased`` without it, and the event fields accept plain, sealed and erased."""

from __future__ import annotations

from fleet.events import personal
from fleet.events.audit import AuditRecorded
from fleet.events.users import LoginSucceeded, UserCreated

ALICE, BOB = "0190c1d2-aaaa", "0190c1d2-bbbb"


def test_a_sealed_value_opens_with_its_key_only() -> None:
    key, other = personal.new_key(), personal.new_key()
    sealed = personal.seal(ALICE, key, "alice@example.com")
    assert sealed.startswith(f"pii1:{ALICE}:") and "alice" not in sealed.split(":", 2)[2]
    assert personal.open_value(sealed, key) == "alice@example.com"
    assert personal.open_value(sealed, other) == personal.ERASED
    assert personal.open_value(sealed, None) == personal.ERASED
    assert personal.seal(ALICE, key, "x") != personal.seal(ALICE, key, "x")  # fresh nonce


def test_a_value_moved_to_another_subject_does_not_open() -> None:
    key = personal.new_key()
    sealed = personal.seal(ALICE, key, "192.0.2.1")
    moved = sealed.replace(ALICE, BOB)
    assert personal.open_value(moved, key) == personal.ERASED  # the subject is bound


def test_reveal_opens_nested_data_and_names_its_subjects() -> None:
    alice, bob = personal.new_key(), personal.new_key()
    data = {
        "ip": personal.seal(ALICE, alice, "192.0.2.1"),
        "more": [personal.seal(BOB, bob, "bob@example.com"), "plain"],
        "n": 3,
    }
    assert personal.subjects_in(data) == {ALICE, BOB}
    opened = personal.reveal(data, {ALICE: alice, BOB: None})
    assert opened == {"ip": "192.0.2.1", "more": [personal.ERASED, "plain"], "n": 3}


def test_event_fields_take_plain_sealed_and_erased_values() -> None:
    key = personal.new_key()
    sealed_ip = personal.seal(ALICE, key, "2001:db8::1")
    assert LoginSucceeded(ip=sealed_ip, user_agent=personal.seal(ALICE, key, "x" * 256)).ip == (
        sealed_ip
    )
    assert LoginSucceeded(ip="erased").ip == "erased"
    assert LoginSucceeded(ip="not an address").ip == ""  # as before: unknown
    longest = personal.seal(ALICE, key, "é" * 320)
    assert UserCreated(username="alice", email=longest, role="trader").email == longest
    entry = AuditRecorded(action="auth.login", actor_id=ALICE, actor_role="trader", ip=sealed_ip)
    assert personal.open_value(entry.ip, key) == "2001:db8::1"
