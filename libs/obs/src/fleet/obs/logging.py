"""structlog configuration with redaction of secrets, by key name and by known value."""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import MutableMapping
from typing import Any

import structlog

REDACTED = "[redacted]"
_SENSITIVE_KEY = re.compile(
    r"(secret|password|passwd|token|api_?key|signature|authorization)", re.I
)
_known_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str) -> None:
    """Remember a secret value so that any log line containing it is scrubbed.

    Call it as soon as a secret enters the process (e.g. a connect request) so that even
    an accidental ``log.info("...", body=request)`` cannot leak it.
    """
    if len(value) >= 6:
        with _lock:
            _known_secrets.add(value)


def forget_secret(value: str) -> None:
    """Drop a value registered with :func:`register_secret`."""
    with _lock:
        _known_secrets.discard(value)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        for secret in _known_secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {key: _redact_item(str(key), item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def _redact_item(key: str, value: Any) -> Any:
    if _SENSITIVE_KEY.search(key) and value not in (None, "", False):
        return REDACTED
    return _scrub(value)


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: hide values of sensitive keys and every registered secret."""
    for key in list(event_dict):
        event_dict[key] = _redact_item(key, event_dict[key])
    return event_dict


class _CurrentStderr:
    """``sys.stderr`` as it is when a line is written, not when logging was configured:
    something that replaces it later (pytest's capture, a daemon's redirect) would leave a
    logger writing to a closed file."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


# Libraries that install their own handlers (colours, their own layout): after
# configure_logging their records go through Fleet's renderer like every other.
FOREIGN_LOGGERS = ("uvicorn", "faststream", "nats")


def configure_logging(service: str, level: str = "info", fmt: str = "json") -> None:
    """Configure structlog and stdlib logging once, at a service's composition root.

    Every record — Fleet's, and stdlib ones from uvicorn, FastStream and nats-py — is
    rendered by the same processors: one JSON object per line (``fmt="json"``), no
    colours, secrets redacted, a traceback as one ``exception`` field.
    """
    numeric = logging.getLevelName(level.upper())
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, redact_secrets, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)
    _route_stdlib_logging(numeric, shared, renderer)
    _LOGGERS.clear()  # bound under the previous configuration


def _route_stdlib_logging(level: int, shared: list[Any], renderer: Any) -> None:
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            *shared,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_secrets,
            renderer,
        ],
    )
    handler = logging.StreamHandler(_CurrentStderr())
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in list(logging.root.manager.loggerDict):
        if name.split(".")[0] in FOREIGN_LOGGERS:
            library = logging.getLogger(name)
            library.handlers.clear()
            library.propagate = True


# Loggers bound under the current configuration, by name. structlog's own ``get_logger``
# returns a lazy proxy that binds a new logger at every call of a method: 3 % of a vault
# worker's CPU under bench/fanout.py went to binding loggers whose debug lines the level
# then dropped. The context (the correlation id, the service) is merged when a line is
# written, so a logger bound once serves every request.
_LOGGERS: dict[str | None, Any] = {}


def get_logger(name: str | None = None) -> Any:
    """A bound structlog logger (bound once per name and configuration)."""
    logger = _LOGGERS.get(name)
    if logger is None:
        logger = _LOGGERS[name] = structlog.get_logger(name).bind()
    return logger
