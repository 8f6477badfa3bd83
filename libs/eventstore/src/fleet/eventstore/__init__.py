"""Event store on NATS JetStream: the append-only log every Fleet state is rebuilt from.

nats-py is used directly here (stream admin, expected-sequence headers, atomic batches,
ordered replay): FastStream has no API for those. Services use FastStream for their own
subscribers and publishers.

Importing it puts a cheaper equivalent of nats-py's header parser in place
(:mod:`fleet.eventstore.nats_headers`): every message read pays for it.
"""

from fleet.events.aggregate import Aggregate  # the pure base, re-exported
from fleet.eventstore.errors import (
    AppendRejected,
    ConcurrencyError,
    EventStoreError,
    StreamMisconfigured,
)
from fleet.eventstore.nats_headers import install as _install_header_parser
from fleet.eventstore.repository import Repository
from fleet.eventstore.store import EventStore, StoredEvent
from fleet.eventstore.stream import (
    NOTIFY_BUCKET,
    StreamSpec,
    ensure_domain_stream,
    ensure_stream,
)

_install_header_parser()

__all__ = [
    "NOTIFY_BUCKET",
    "Aggregate",
    "AppendRejected",
    "ConcurrencyError",
    "EventStore",
    "EventStoreError",
    "Repository",
    "StoredEvent",
    "StreamMisconfigured",
    "StreamSpec",
    "ensure_domain_stream",
    "ensure_stream",
]
