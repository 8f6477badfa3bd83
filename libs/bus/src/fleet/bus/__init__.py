"""The NATS bus as services use it (FastStream), and the runtime every service shares:
one broker with safe acknowledgement defaults, ``/healthz`` and ``/metrics``.

FastStream traps handled here: a handler that raises is NACKed and redelivered (never
acked and dropped); JetStream pull subscribers that need order use ``batch=True``;
JetStream paths are tested against a real server, not ``TestNatsBroker``.
"""

from fleet.bus.runtime import ServiceRuntime, make_broker, run_asgi, serve

__all__ = ["ServiceRuntime", "make_broker", "run_asgi", "serve"]
