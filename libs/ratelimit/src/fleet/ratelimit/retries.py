"""How often a failed call is asked again: stamina's attempts, with Fleet's one rule for
the pauses (a first pause, growing by a factor each time, jitter taking a share off
each so that callers refused together do not ask again in step, and none is longer than
the figures say) and no overall time limit (the attempts bound it)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import NotRequired, TypedDict, TypeVar, Unpack

import stamina

T = TypeVar("T")

RetryOn = type[Exception] | tuple[type[Exception], ...] | Callable[[Exception], bool]
GROWTH = 2.0  # each pause twice the previous one, unless a caller says otherwise


class Backoff(TypedDict):
    """The figures of a retry, given as keywords to every function here: ``attempts``
    tries, pauses from ``first_pause_s`` growing by ``growth`` (:data:`GROWTH` when not
    given), jitter taking up to ``jitter_s / first_pause_s`` of each pause off."""

    attempts: int
    first_pause_s: float
    jitter_s: float
    growth: NotRequired[float]


def attempts_of(on: RetryOn, **backoff: Unpack[Backoff]) -> AsyncIterator[stamina.Attempt]:
    """``attempts`` tries of a block (``async for attempt in ...: with attempt: ...``),
    retried on ``on`` (exception types, or a predicate) after the pauses of ``backoff``
    (up to ``jitter_s`` off the first). The last failure is raised."""
    attempts, first_pause_s = backoff["attempts"], backoff["first_pause_s"]
    jitter_s, growth = backoff["jitter_s"], backoff.get("growth", GROWTH)
    return stamina.retry_context(
        on=on,
        attempts=attempts,
        timeout=None,
        wait_initial=first_pause_s - jitter_s,
        wait_exp_base=growth,
        wait_max=first_pause_s * growth ** max(0, attempts - 2),
        wait_jitter=jitter_s,
    )


async def retried(call: Callable[[], Awaitable[T]], on: RetryOn, **backoff: Unpack[Backoff]) -> T:
    """``await call()`` as :func:`attempts_of` would retry it, with the first try outside
    stamina: a hot path (every append, every BingX read, every order) builds no retry
    state unless it fails (building it cost ~10 % of the executor's CPU in
    ``bench/fanout.py``)."""
    return await retried_numbered(lambda _number: call(), on, **backoff)


async def retried_numbered(
    call: Callable[[int], Awaitable[T]], on: RetryOn, **backoff: Unpack[Backoff]
) -> T:
    """As :func:`retried`, ``call`` told which attempt it is (1 to ``attempts``)."""
    try:
        return await call(1)
    except Exception as exc:
        return await retried_after(exc, call, on, **backoff)


async def retried_after(
    failure: Exception,
    call: Callable[[int], Awaitable[T]],
    on: RetryOn,
    **backoff: Unpack[Backoff],
) -> T:
    """The attempts after a first one that raised ``failure`` (made by the caller itself:
    a path hot enough to count its awaits, such as every append, tries once with no
    wrapper around it). ``failure`` is raised again at once if it is not one to retry."""
    attempts = backoff["attempts"]
    if attempts <= 1 or not _retryable(on, failure):
        raise failure
    first_pause_s, jitter_s = backoff["first_pause_s"], backoff["jitter_s"]
    growth = backoff.get("growth", GROWTH)
    await asyncio.sleep(max(0.0, first_pause_s - random.uniform(0, jitter_s)))  # noqa: S311
    async for attempt in attempts_of(
        on,
        attempts=attempts - 1,
        first_pause_s=first_pause_s * growth,
        jitter_s=jitter_s * growth,
        growth=growth,
    ):
        with attempt:
            return await call(attempt.num + 1)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _retryable(on: RetryOn, exc: Exception) -> bool:
    if isinstance(on, type | tuple):
        return isinstance(exc, on)
    return on(exc)
