"""``python -m fleet.eventstore``: create or verify the domain stream (an init job).

Reads ``FLEET_NATS_URL`` (an admin user), ``FLEET_STREAM_NAME``, ``FLEET_SUBJECT_PREFIX`` and
``FLEET_STREAM_REPLICAS`` (1 on one box, 3 in a cluster); the telemetry stream's limits
from ``FLEET_TELEMETRY_MAX_AGE_DAYS`` (30) and ``FLEET_TELEMETRY_MAX_BYTES`` (4 GiB).
"""

import asyncio
import os
import sys

from fleet.eventstore.errors import StreamMisconfigured
from fleet.eventstore.stream import (
    DEFAULT_PREFIX,
    DEFAULT_STREAM,
    StreamSpec,
    ensure_domain_stream,
    telemetry_limits_from_env,
)


def main() -> int:
    url = os.environ.get("FLEET_NATS_URL", "nats://127.0.0.1:4222")
    replicas = os.environ.get("FLEET_STREAM_REPLICAS", "1")
    if not replicas.isdigit() or int(replicas) < 1:
        print("fleet.eventstore: FLEET_STREAM_REPLICAS must be a positive integer", file=sys.stderr)
        return 2
    name = os.environ.get("FLEET_STREAM_NAME", DEFAULT_STREAM)
    prefix = os.environ.get("FLEET_SUBJECT_PREFIX", DEFAULT_PREFIX)
    try:
        telemetry = telemetry_limits_from_env()
    except ValueError as exc:
        print(f"fleet.eventstore: {exc}", file=sys.stderr)
        return 2
    try:
        ca_file = os.environ.get("FLEET_NATS_CA_FILE") or None
        asyncio.run(
            ensure_domain_stream(
                url,
                StreamSpec(name=name, prefix=prefix, replicas=int(replicas)),
                telemetry=telemetry,
                ca_file=ca_file,
            )
        )
    except StreamMisconfigured as exc:
        print(f"fleet.eventstore: {exc}", file=sys.stderr)
        return 1
    print(f"stream {name} ready ({replicas} replica(s), subjects {prefix}.>)")
    return 0


sys.exit(main())
