"""White-label branding of the page: product name, logo and accent colour, from the
platform's settings (``/api/admin/settings``, kept by auth) over the gateway's
environment (``FLEET_PRODUCT_NAME``, ``FLEET_LOGO_URL``, ``FLEET_ACCENT_COLOUR``).

The page is rendered with them server-side (title, header, a logo) and its accent comes
from ``/brand.css`` (the Content-Security-Policy forbids inline styles). When auth does
not answer within a second, the environment's branding is shown: the page never fails
for its looks."""

from __future__ import annotations

import html
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request

from fleet.events.auth_commands import GetSystemSettings, SystemSettingsState
from fleet.events.commands import CommandReply

ASK_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class Branding:
    product_name: str
    logo_url: str
    accent_colour: str

    def logo_origin(self) -> str:
        """The logo's origin for the page's img-src ('' for a path on Fleet itself)."""
        parts = urlsplit(self.logo_url)
        return f"{parts.scheme}://{parts.netloc}" if parts.scheme == "https" else ""

    def render(self, page: str) -> str:
        """``page`` (index.html) with its name, logo and stylesheet, escaped."""
        name = html.escape(self.product_name)
        logo = ""
        if self.logo_url:
            logo = f'<img class="brand-logo" src="{html.escape(self.logo_url)}" alt="" height="24">'
        page = page.replace("<title>Fleet</title>", f"<title>{name}</title>")
        page = page.replace('href="#/">Fleet</a>', f'href="#/">{logo}{name}</a>')
        page = page.replace("<p>Fleet's web UI", f"<p>{name}'s web UI")
        sheet = '<link rel="stylesheet" href="/ui/app.css">'
        return page.replace(sheet, f'{sheet}\n    <link rel="stylesheet" href="/brand.css">')

    def stylesheet(self) -> str:
        """The accent of the light scheme. The dark scheme keeps its own lighter accent: a
        brand colour chosen on white rarely reads on the dark background (axe found the
        default blue at 3:1 on dark links and buttons)."""
        accent = f":root {{ --accent: {self.accent_colour}; }}"
        return f"@media (prefers-color-scheme: light) {{ {accent} }}\n"


async def current_branding(request: Request) -> Branding:
    """The branding in force: the admin's settings over the environment's."""
    services = request.app.state.services
    settings = services.settings
    default = Branding(settings.product_name, settings.logo_url, settings.accent_colour)
    reply: CommandReply = await services.commands.send(GetSystemSettings(), timeout=ASK_TIMEOUT_S)
    if not reply.ok:
        return default
    state = reply.typed(SystemSettingsState).payload()
    return Branding(
        state.product_name or default.product_name,
        state.logo_url or default.logo_url,
        state.accent_colour or default.accent_colour,
    )
