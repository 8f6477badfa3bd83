"""``/dev/mails``: the mails ``fleet up``'s local SMTP sink caught, for admins, only when
the platform runs on the simulator (``FLEET_BINGX_SIMULATED`` and ``FLEET_DEV_MAIL_DIR``,
both set by ``fleet up``); 404 anywhere else. A plain HTML page, not part of the API."""

from __future__ import annotations

import asyncio
import html
import mailbox
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Annotated

from fastapi import Depends
from fastapi.responses import HTMLResponse

from fleet.gateway.api.routing import ServicesDep, make_router
from fleet.gateway.deps import Access, authorize
from fleet.gateway.errors import not_found
from fleet.gateway.schemas.notifications import MailOut
from fleet.gateway.web.serve import HEADERS

router = make_router("dev")
SHOWN = 100  # the newest mails
_MAX_BODY = 20_000


def caught_mails(mail_dir: Path, limit: int = SHOWN) -> list[MailOut]:
    """The newest ``limit`` mails of the Maildir, newest first."""
    if not (mail_dir / "new").is_dir():
        return []
    box = mailbox.Maildir(mail_dir, create=False)
    found = []
    for key in box.iterkeys():
        path = mail_dir / "new" / key
        if not path.exists():
            path = mail_dir / "cur" / key
        received = datetime.fromtimestamp(path.stat().st_mtime, UTC) if path.exists() else None
        found.append((received or datetime.now(UTC), key, box.get_message(key)))
    found.sort(key=lambda item: item[0], reverse=True)
    return [_mail(key, received, message) for received, key, message in found[:limit]]


def _mail(key: str, received: datetime, message: Message) -> MailOut:
    part = next((p for p in message.walk() if p.get_content_type() == "text/plain"), message)
    payload = part.get_payload(decode=True)
    charset = part.get_content_charset() or "utf-8"
    body = payload.decode(charset, "replace") if isinstance(payload, bytes) else ""
    return MailOut(
        name=key,
        received_at=received,
        sender=str(message.get("From", "")),
        to=str(message.get("To", "")),
        subject=str(message.get("Subject", "")),
        body=body[:_MAX_BODY],
    )


def _page(mails: list[MailOut]) -> str:
    rows = "".join(
        "<article><h2>{}</h2><p>{} &rarr; {} &middot; {}</p><pre>{}</pre></article>".format(
            *(html.escape(v) for v in (m.subject, m.sender, m.to, m.received_at.isoformat())),
            html.escape(m.body),
        )
        for m in mails
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Fleet: caught mails</title>"
        f"</head><body><h1>Mails the local SMTP sink caught ({len(mails)})</h1>"
        f"{rows or '<p>none yet</p>'}</body></html>"
    )


@router.get("/dev/mails", include_in_schema=False)
async def dev_mails(
    _access: Annotated[Access, Depends(authorize("dev.mails"))], services: ServicesDep
) -> HTMLResponse:
    settings = services.settings
    if not settings.bingx_simulated or settings.dev_mail_dir is None:
        raise not_found()
    mails = await asyncio.to_thread(caught_mails, settings.dev_mail_dir)
    return HTMLResponse(_page(mails), headers=HEADERS)
