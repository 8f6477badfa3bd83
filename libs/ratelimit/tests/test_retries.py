"""The retry rule: the attempts asked for, pauses growing from the first, jitter only
ever taking time off."""

import pytest
from stamina.instrumentation import RetryDetails, get_on_retry_hooks, set_on_retry_hooks

from fleet.ratelimit.retries import attempts_of

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
