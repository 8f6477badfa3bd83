"""``python -m fleet.eventstore``: create or verify the domain stream and the telemetry
stream beside it (an init job: compose's and Kubernetes' ``stream-init``).

Reads ``FLEET_NATS_URL`` (an admin user) and ``FLEET_NATS_CA_FILE``, and the streams'
settings as ``fleet up`` does (``fleet.settings.StreamSettings``): ``FLEET_STREAM_NAME``,
``FLEET_SUBJECT_PREFIX``, ``FLEET_STREAM_REPLICAS`` (1 on one box, 3 in a cluster),
``FLEET_EVENT_LOG_MAX_BYTES`` (10 GiB), ``FLEET_TELEMETRY_MAX_AGE_DAYS`` (30) and
``FLEET_TELEMETRY_MAX_BYTES`` (4 GiB). A bad value exits with 2 and names the variable.
"""

import asyncio
import os
import sys

from fleet.eventstore.errors import StreamMisconfigured
from fleet.eventstore.stream import StreamSpec, ensure_domain_stream
from fleet.settings import SettingsError, StreamSettings, load_settings


def main() -> int:
    url = os.environ.get("FLEET_NATS_URL", "nats://127.0.0.1:4222")
    try:
        settings = load_settings(StreamSettings)
    except SettingsError as exc:
        print(f"fleet.eventstore: {exc}", file=sys.stderr)
        return 2
    spec = StreamSpec(
        name=settings.stream_name,
        prefix=settings.subject_prefix,
        replicas=settings.stream_replicas,
        max_bytes=settings.event_log_max_bytes,
    )
    telemetry = (settings.telemetry_max_age_days, settings.telemetry_max_bytes)
    try:
        ca_file = os.environ.get("FLEET_NATS_CA_FILE") or None
        asyncio.run(ensure_domain_stream(url, spec, telemetry=telemetry, ca_file=ca_file))
    except StreamMisconfigured as exc:
        print(f"fleet.eventstore: {exc}", file=sys.stderr)
        return 1
    print(
        f"stream {spec.name} ready ({spec.replicas} replica(s), subjects {spec.prefix}.>, "
        f"limit {spec.max_bytes} bytes)"
    )
    return 0


sys.exit(main())
