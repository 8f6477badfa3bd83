"""Typed settings for every Fleet service, read from environment variables.

Each service declares one subclass of :class:`ServiceSettings` and loads it with
:func:`load_settings`, which turns a validation failure into one clear line naming the
variable (``SettingsError``) instead of a pydantic traceback.
"""

from fleet.settings.base import (
    ServiceSettings,
    SettingsError,
    load_settings,
    nats_tls_from_env,
    tls_context,
)
from fleet.settings.streams import StreamSettings

__all__ = [
    "ServiceSettings",
    "SettingsError",
    "StreamSettings",
    "load_settings",
    "nats_tls_from_env",
    "tls_context",
]
