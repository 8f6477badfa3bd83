"""Back-off arithmetic (no lock), the verification budget and the refusal tally, with a
clock the test moves."""

from datetime import UTC, datetime, timedelta

import pytest

from fleet.auth.domain.login_budget import Busy, VerificationBudget
from fleet.auth.domain.login_policy import FailureLedger, FailureRecord, LoginPolicy, pair_key
from fleet.auth.errors import Throttled

pytestmark = pytest.mark.unit
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLICY = LoginPolicy(
    pair_free_failures=3,
    backoff_base=timedelta(seconds=1),
    backoff_max=timedelta(seconds=60),
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


def test_no_number_of_failures_locks() -> None:
    record = failures(1000)
    assert record.count == 1000 and record.locked_until is None
    assert POLICY.locked_until(record, T0) is None


def test_failures_older_than_the_memory_are_forgotten() -> None:
    record = failures(9, every=timedelta(minutes=1))
    later = T0 + timedelta(minutes=8) + timedelta(hours=1)
    assert not POLICY.remembered(record, later)
    assert POLICY.retry_after(record, later, free=3) == 0.0
    assert POLICY.after_failure(record, later).count == 1


def test_a_pair_in_back_off_leaves_the_account_free_from_other_sources() -> None:
    ledger = FailureLedger(POLICY)
    for _ in range(10):
        ledger.fail(pair_key("alice", "203.0.113.5"), T0)
    assert ledger.wait("alice", "203.0.113.5", T0) > 0
    assert ledger.wait("alice", "198.51.100.7", T0) == 0


def test_the_ledger_stays_bounded() -> None:
    ledger = FailureLedger(POLICY, max_keys=100)
    for i in range(100):
        ledger.fail(f"ip:old{i}", T0)
    later = T0 + timedelta(hours=2)  # the old ones are forgotten: pruned first
    for i in range(150):
        ledger.fail(f"ip:new{i}", later)
    assert len(ledger) == 100
    assert ledger.get("ip:old1") == FailureRecord() and ledger.get("ip:new149").count == 1


def test_the_budget_refuses_before_hashing_per_source_and_overall() -> None:
    budget = VerificationBudget(max_in_flight=3, source_in_flight=2, source_burst=100)
    with budget.admit("a", T0), budget.admit("a", T0):
        with pytest.raises(Throttled):  # the source's share is taken
            budget.admit("a", T0).__enter__()
        with budget.admit("b", T0), pytest.raises(Busy):  # every slot is taken
            budget.admit("c", T0).__enter__()
    with budget.admit("a", T0):  # slots come back
        pass


def test_the_budget_limits_a_sources_rate() -> None:
    budget = VerificationBudget(source_per_minute=60, source_burst=3)
    for _ in range(3):
        with budget.admit("a", T0):
            pass
    with pytest.raises(Throttled) as refused:
        budget.admit("a", T0).__enter__()
    assert refused.value.retry_after_s == 1.0
    with budget.admit("b", T0):  # another source has its own bucket
        pass
    with budget.admit("a", T0 + timedelta(seconds=1)):  # a token came back
        pass
