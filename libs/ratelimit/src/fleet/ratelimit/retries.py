"""How often a failed call is asked again: stamina's attempts, with Fleet's one rule for
the pauses (a first pause, growing by a factor each time, jitter taking a share off
each so that callers refused together do not ask again in step, and none is longer than
the figures say) and no overall time limit (the attempts bound it)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import stamina

RetryOn = type[Exception] | tuple[type[Exception], ...] | Callable[[Exception], bool]


def attempts_of(
    on: RetryOn,
    *,
    attempts: int,
    first_pause_s: float,
    jitter_s: float,
    growth: float = 2.0,
) -> AsyncIterator[stamina.Attempt]:
    """``attempts`` tries of a block (``async for attempt in ...: with attempt: ...``),
    retried on ``on`` (exception types, or a predicate) after pauses of
    ``first_pause_s``, then ``growth`` times the previous one; jitter takes up to
    ``jitter_s / first_pause_s`` of each pause off (up to ``jitter_s`` off the first). The
    last failure is raised."""
    return stamina.retry_context(
        on=on,
        attempts=attempts,
        timeout=None,
        wait_initial=first_pause_s - jitter_s,
        wait_exp_base=growth,
        wait_max=first_pause_s * growth ** max(0, attempts - 2),
        wait_jitter=jitter_s,
    )
