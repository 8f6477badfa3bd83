"""``fleet up``'s notifications: the local SMTP sink (mails kept in ``<data dir>/mails``, a
Maildir) and the notify service sending to it."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from fleet.cli.state import Part
from fleet.eventstore import NOTIFY_BUCKET
from fleet.stack import free_port
from fleet.stack.smtp_sink import SmtpSink

if TYPE_CHECKING:
    from fleet.cli.platform import Platform


def _signing_key(platform: Platform) -> str:
    """The webhook master key, made once and kept (0600) in the data dir."""
    path = platform.options.data_dir / "notify" / "webhook_signing.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


def start_notifications(platform: Platform, report: Callable[[str], None]) -> None:
    """Start the SMTP sink, then the notify service sending every e-mail to it."""
    from fleet.cli.platform import without_vault_credentials

    assert platform.nats is not None and platform.postgres is not None
    root = platform.options.data_dir
    sink = SmtpSink(root / "mails", root / "logs")
    platform.processes.append(sink.process)
    sink.start()
    platform.parts["smtp_sink"] = Part(
        url=sink.url, pid=sink.process.pid, health_url=f"tcp://127.0.0.1:{sink.port}"
    )
    report(f"smtp_sink (mails kept in {sink.mail_dir})")
    # Its own NATS user (fleet.stack.nats back-fills its password in an older data dir);
    # the position's bucket was made with the platform (ensure_domain_stream).
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = without_vault_credentials(os.environ) | {
        **platform.nats.env_for("notify"),
        "FLEET_DATABASE_URL": platform.postgres.url("fleet"),  # the personal-data keys
        "FLEET_HTTP_HOST": "127.0.0.1",
        "FLEET_HTTP_PORT": str(port),
        "FLEET_LOG_LEVEL": platform.options.log_level,
        "FLEET_SMTP_HOST": "127.0.0.1",
        "FLEET_SMTP_PORT": str(sink.port),
        "FLEET_SMTP_STARTTLS": "false",
        "FLEET_NOTIFY_POSITION_BUCKET": NOTIFY_BUCKET,
        "FLEET_WEBHOOK_SIGNING_KEY": _signing_key(platform),
        "FLEET_UI_URL": f"http://127.0.0.1:{platform.options.http_port}/",  # mailed links
    }
    argv = [sys.executable, "-m", "fleet.notify"]
    platform._launch("notify", argv, env, url, f"{url}/healthz")
    report("notify")
