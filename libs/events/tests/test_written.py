"""Read-your-writes marks: a scope notes the highest sequence appended inside it."""

import asyncio

from fleet.events.written import note_written, tracking_writes, written_through


def test_outside_a_scope_nothing_is_noted() -> None:
    note_written(42)
    assert written_through() == 0


def test_a_scope_keeps_the_highest_sequence_and_ends_with_its_block() -> None:
    with tracking_writes() as written:
        note_written(7)
        note_written(3)  # an append answered later may carry a lower sequence
        note_written(None)
        assert written_through() == 7
        with tracking_writes() as inner:  # a nested scope is its own
            note_written(9)
        assert (inner.sequence, written.sequence) == (9, 7)
    assert written.sequence == 7 and written_through() == 0


async def test_tasks_started_inside_a_scope_write_into_it() -> None:
    async def append(sequence: int) -> None:
        await asyncio.sleep(0)
        note_written(sequence)

    with tracking_writes() as written:
        await asyncio.gather(append(11), append(12), append(5))
    assert written.sequence == 12
