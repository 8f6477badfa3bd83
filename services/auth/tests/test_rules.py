"""Username, e-mail and password rules."""

import pytest

from fleet.auth.domain.identity import (
    check_email,
    check_username,
    claim_key,
    is_valid_username,
    normalize_username,
)
from fleet.auth.domain.password_policy import check_password, generate_password
from fleet.auth.errors import InvalidInput
from fleet.events import AggregateRef

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("name", ["bob", "Alice", "j.doe-2", "x_y", "a" * 32, "007"])
def test_valid_usernames_keep_their_case(name: str) -> None:
    assert check_username(f" {name} ") == name
    assert is_valid_username(normalize_username(name))


@pytest.mark.parametrize(
    "name", ["ab", "a" * 33, ".bob", "-bob", "bo b", "bób", "bob!", "", "system", "Anonymous"]
)
def test_invalid_usernames_name_the_field(name: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_username(name)
    assert refused.value.field == "username"


def test_usernames_compare_case_insensitively_and_claim_a_subject_token() -> None:
    assert claim_key(normalize_username("J.Doe")) == claim_key(normalize_username("j.doe "))
    AggregateRef(type="username", id=claim_key("j.doe-" + "a" * 26))  # a valid token


@pytest.mark.parametrize("email", ["", "a@example.com", " ops@fleet.example.org "])
def test_valid_emails(email: str) -> None:
    assert check_email(email) == email.strip()


@pytest.mark.parametrize("email", ["alice", "a@b", "a@@b.c", "a b@c.d", "x" * 250 + "@a.bc"])
def test_invalid_emails_name_the_field(email: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_email(email)
    assert refused.value.field == "email"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-pass1", "at least 12"),
        ("alice", "at least 12"),
        ("alice-alice-alice", "must not contain the username"),
        ("my ALICE password", "must not contain the username"),
        ("aaaaaaaaaaaa", "too weak"),
        ("123456789012", "too weak"),
        ("password1234", "too weak"),
        (" " * 12, "too weak"),
        ("qwertyuiopas", "too weak"),
        ("x" * 1025, "at most 1024"),
    ],
)
def test_weak_passwords_are_refused(password: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_password(password, "Alice", "new_password")
    assert refused.value.field == "new_password"
    assert reason in str(refused.value)


def test_good_and_generated_passwords_pass() -> None:
    check_password("correct horse battery", "alice")
    for _ in range(20):
        generated = generate_password("admin")
        check_password(generated, "admin")
        assert len(generated) == 24
