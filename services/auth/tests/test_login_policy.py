"""Back-off and lockout arithmetic, with a clock the test moves."""

from datetime import UTC, datetime, timedelta

import pytest

from fleet.auth.domain.login_policy import FailureLedger, FailureRecord, LoginPolicy

pytestmark = pytest.mark.unit
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLICY = LoginPolicy(
    user_free_failures=3,
    backoff_base=timedelta(seconds=1),
    backoff_max=timedelta(seconds=60),
    lockout_after=10,
    lockout=timedelta(minutes=15),
    memory=timedelta(hours=1),
)


def failures(n: int, start: datetime = T0, every: timedelta = timedelta(0)) -> FailureRecord:
    record = FailureRecord()
    for i in range(n):
        record = POLICY.after_failure(record, start + i * every)
    return record


def test_back_off_doubles_after_the_free_failures_and_is_capped() -> None:
    delays = [POLICY.delay(n, free=3).total_seconds() for n in range(12)]
    assert delays == [0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_retry_after_counts_from_the_last_failure() -> None:
    record = failures(5)  # 5 failures at T0: wait 4 s
    assert POLICY.retry_after(record, T0, free=3) == 4.0
    assert POLICY.retry_after(record, T0 + timedelta(seconds=3), free=3) == 1.0
    assert POLICY.retry_after(record, T0 + timedelta(seconds=4), free=3) == 0.0
    assert POLICY.retry_after(failures(2), T0, free=3) == 0.0


def test_the_tenth_consecutive_failure_locks_for_the_lockout() -> None:
    assert failures(9).locked_until is None
    locked = failures(10)
    assert locked.count == 10 and locked.locked_until == T0 + timedelta(minutes=15)
    assert POLICY.locked_until(locked, T0 + timedelta(minutes=14, seconds=59)) is not None
    assert POLICY.locked_until(locked, T0 + timedelta(minutes=15)) is None  # expired


def test_a_failure_after_the_lock_expires_locks_again() -> None:
    after = T0 + timedelta(minutes=16)
    again = POLICY.after_failure(failures(10), after)
    assert again.count == 11 and again.locked_until == after + timedelta(minutes=15)


def test_failures_older_than_the_memory_are_forgotten() -> None:
    record = failures(9, every=timedelta(minutes=1))
    later = T0 + timedelta(minutes=8) + timedelta(hours=1)
    assert not POLICY.remembered(record, later)
    assert POLICY.retry_after(record, later, free=3) == 0.0
    fresh = POLICY.after_failure(record, later)
    assert fresh.count == 1 and fresh.locked_until is None


def test_an_ip_record_counts_but_never_locks() -> None:
    ledger = FailureLedger(POLICY)
    for _ in range(30):
        record = ledger.fail("ip:203.0.113.5", T0, can_lock=False)
    assert record.count == 30 and record.locked_until is None
    assert POLICY.retry_after(record, T0, free=20) == 60.0


def test_unknown_names_in_the_ledger_lock_like_users() -> None:
    ledger = FailureLedger(POLICY)
    for _ in range(10):
        ledger.fail("user:nobody", T0)
    assert ledger.get("user:nobody") == failures(10)
    assert ledger.get("user:other") == FailureRecord()


def test_the_ledger_stays_bounded() -> None:
    ledger = FailureLedger(POLICY, max_keys=100)
    for i in range(100):
        ledger.fail(f"ip:old{i}", T0)
    later = T0 + timedelta(hours=2)  # the old ones are forgotten: pruned first
    for i in range(150):
        ledger.fail(f"ip:new{i}", later)
    assert len(ledger) == 100
    assert ledger.get("ip:old1") == FailureRecord() and ledger.get("ip:new149").count == 1
