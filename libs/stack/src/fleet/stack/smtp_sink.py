"""A local SMTP sink for ``fleet up``: aiosmtpd's own server (``python -m aiosmtpd``, which
the notify service's dependencies bring) on a free 127.0.0.1 port, keeping every mail it
catches in a Maildir, so the notify service's e-mails can be read without a mail provider.
Plain SMTP: no STARTTLS, no AUTH (it only listens on 127.0.0.1)."""

from __future__ import annotations

import sys
from pathlib import Path

from fleet.stack.process import ManagedProcess, free_port, port_answers


class SmtpSink:
    """An SMTP server that accepts every mail and keeps it in ``mail_dir`` (a Maildir)."""

    def __init__(self, mail_dir: Path, log_dir: Path, *, port: int | None = None) -> None:
        self.mail_dir = mail_dir
        self.port = port or free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        argv = [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{self.port}",
            "-c",
            "aiosmtpd.handlers.Mailbox",
            str(mail_dir),
        ]
        self.process = ManagedProcess("smtp_sink", argv, log_dir / "smtp_sink.log")

    def start(self) -> None:
        """Start and wait until the port answers."""
        self.mail_dir.parent.mkdir(parents=True, exist_ok=True)
        self.process.start()
        self.process.wait_until(lambda: port_answers(self.port), timeout=30)

    def stop(self) -> None:
        self.process.stop()
