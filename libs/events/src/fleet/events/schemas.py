"""JSON Schema of every event type, committed under ``libs/events/schemas`` so a change
to an event is visible in review; a test fails when the committed schemas are stale.

Regenerate with ``python -m fleet.events.schemas``.
"""

from __future__ import annotations

import json
from pathlib import Path

from fleet.events.catalog import ALL_EVENTS

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "schemas"


def event_schemas() -> dict[str, str]:
    """File name → JSON text, one per event type and version."""
    files = {}
    for cls in ALL_EVENTS:
        schema = cls.model_json_schema()
        schema["x-event-type"] = cls.event_type
        schema["x-schema-version"] = cls.schema_version
        name = f"{cls.event_type}.v{cls.schema_version}.json"
        files[name] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return files


def write_schemas(directory: Path = SCHEMA_DIR) -> list[str]:
    """Write every schema; return the names written."""
    directory.mkdir(parents=True, exist_ok=True)
    files = event_schemas()
    for name, text in files.items():
        (directory / name).write_text(text)
    return sorted(files)


if __name__ == "__main__":
    for written in write_schemas():
        print(written)
