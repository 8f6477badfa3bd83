"""The retry rule: the attempts asked for, pauses growing from the first, jitter only
ever taking time off."""

import pytest
from stamina.instrumentation import RetryDetails, get_on_retry_hooks, set_on_retry_hooks

from fleet.ratelimit.retries import Backoff, attempts_of, retried, retried_after

pytestmark = pytest.mark.unit


async def test_the_attempts_and_pauses_are_the_figures_less_the_jitter_at_most() -> None:
    waits: list[float] = []
    calls = 0

    def record(details: RetryDetails) -> None:
        waits.append(details.wait_for)

    hooks = get_on_retry_hooks()
    set_on_retry_hooks([record])
    try:
        with pytest.raises(ConnectionError):
            async for attempt in attempts_of(
                ConnectionError, attempts=4, first_pause_s=0.02, jitter_s=0.005
            ):
                with attempt:
                    calls += 1
                    raise ConnectionError
    finally:
        set_on_retry_hooks(hooks)
    assert calls == 4
    for wait, figure in zip(waits, [0.02, 0.04, 0.08], strict=True):
        assert figure * (1 - 0.005 / 0.02) <= wait <= figure


async def test_only_what_the_predicate_accepts_is_asked_again() -> None:
    calls = 0
    with pytest.raises(ValueError):
        async for attempt in attempts_of(
            lambda exc: isinstance(exc, ConnectionError),
            attempts=3,
            first_pause_s=0.01,
            jitter_s=0.001,
        ):
            with attempt:
                calls += 1
                raise ValueError
    assert calls == 1


async def test_retried_tries_once_without_stamina_then_keeps_the_attempts_and_pauses() -> None:
    waits: list[float] = []
    calls = 0

    async def failing() -> int:
        nonlocal calls
        calls += 1
        if calls < 4:
            raise ConnectionError
        return calls

    hooks = get_on_retry_hooks()
    set_on_retry_hooks([lambda details: waits.append(details.wait_for)])
    try:
        assert (
            await retried(failing, ConnectionError, attempts=4, first_pause_s=0.02, jitter_s=0.005)
            == 4
        )
        calls = -10  # more failures than attempts: the last one is raised
        with pytest.raises(ConnectionError):
            await retried(failing, ConnectionError, attempts=3, first_pause_s=0.01, jitter_s=0.001)
        assert calls == -7
    finally:
        set_on_retry_hooks(hooks)
    # the first pause is taken outside stamina; the ones it schedules keep growing
    for wait, figure in zip(waits[:2], [0.04, 0.08], strict=True):
        assert figure * (1 - 0.005 / 0.02) <= wait <= figure


async def test_retried_passes_a_success_and_a_foreign_error_through_at_once() -> None:
    async def fine() -> str:
        return "ok"

    async def broken() -> str:
        raise ValueError("a bug")

    assert await retried(fine, ConnectionError, attempts=3, first_pause_s=5, jitter_s=1) == "ok"
    with pytest.raises(ValueError, match="a bug"):
        await retried(broken, ConnectionError, attempts=3, first_pause_s=5, jitter_s=1)


async def test_retried_after_a_first_failure_made_by_the_caller() -> None:
    """A hot path tries once itself; the attempts after it are the rule's, counted from 2."""
    numbers: list[int] = []

    async def second_time_lucky(number: int) -> int:
        numbers.append(number)
        if number < 3:
            raise ConnectionError
        return number

    figures: Backoff = {"attempts": 3, "first_pause_s": 0.01, "jitter_s": 0.001}
    assert (
        await retried_after(ConnectionError(), second_time_lucky, ConnectionError, **figures) == 3
    )
    assert numbers == [2, 3]
    numbers.clear()
    with pytest.raises(ValueError, match="not retried"):
        await retried_after(
            ValueError("not retried"), second_time_lucky, ConnectionError, **figures
        )
    assert numbers == []  # a foreign error is raised at once, nothing asked again
    once_more: Backoff = {"attempts": 2, "first_pause_s": 0.01, "jitter_s": 0.001}
    with pytest.raises(ConnectionError):
        await retried_after(ConnectionError(), second_time_lucky, ConnectionError, **once_more)
    assert numbers == [2]
