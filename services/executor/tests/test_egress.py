"""Egress identities are shared out evenly among the traders a process owns."""

from fleet.executor.adapters.egress import EgressIdentity, EgressPool


def pool(count: int) -> EgressPool:
    return EgressPool([EgressIdentity(f"ip{i}") for i in range(count)], None, "scope")


def test_traders_are_spread_within_one_of_each_other() -> None:
    egress = pool(4)
    chosen = [egress.assign(f"u{i}").name for i in range(10)]
    assert sorted(egress.load().values()) == [2, 2, 3, 3]
    assert egress.assign("u3").name == chosen[3]  # a user keeps their identity
    assert sorted(egress.load().values()) == [2, 2, 3, 3]


def test_a_released_place_is_given_to_the_next_trader() -> None:
    egress = pool(3)
    for i in range(6):
        egress.assign(f"u{i}")
    first = egress.assign("u0").name
    egress.release("u0")
    egress.release("u0")  # twice: no effect
    assert egress.load()[first] == 1
    assert egress.assign("late").name == first
    assert set(egress.load().values()) == {2}
