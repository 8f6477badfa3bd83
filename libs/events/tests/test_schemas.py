import pytest

from fleet.events.schemas import SCHEMA_DIR, event_schemas

pytestmark = pytest.mark.unit


def test_committed_schemas_match_the_code() -> None:
    expected = event_schemas()
    committed = {path.name: path.read_text() for path in SCHEMA_DIR.glob("*.json")}
    stale = sorted(name for name in expected if committed.get(name) != expected[name])
    extra = sorted(set(committed) - set(expected))
    assert not stale and not extra, (
        f"event schemas out of date (stale: {stale}, unknown: {extra}); "
        "run `python -m fleet.events.schemas` and commit libs/events/schemas"
    )
