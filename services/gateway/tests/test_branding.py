"""The page carries the platform's branding, escaped; no "Fleet" left where it names the
product."""

from pathlib import Path

import pytest

from fleet.gateway.web.branding import Branding
from fleet.gateway.web.serve import STATIC

pytestmark = pytest.mark.unit

PAGE = (STATIC / "index.html").read_text(encoding="utf-8")


def test_the_page_shows_the_product_name_and_logo_and_links_the_accent() -> None:
    page = Branding("Acme <Trading>", "https://cdn.example.com/logo.svg", "#0a7f5a").render(PAGE)
    assert "<title>Acme &lt;Trading&gt;</title>" in page
    assert 'src="https://cdn.example.com/logo.svg"' in page
    assert '<link rel="stylesheet" href="/brand.css">' in page
    assert "Fleet" not in page


def test_the_accent_stylesheet_and_the_logos_origin() -> None:
    branding = Branding("Acme", "https://cdn.example.com/logo.svg", "#0a7f5a")
    sheet = branding.stylesheet()
    assert sheet == "@media (prefers-color-scheme: light) { :root { --accent: #0a7f5a; } }\n"
    assert branding.logo_origin() == "https://cdn.example.com"
    assert Branding("Acme", "/ui/logo.svg", "#000000").logo_origin() == ""


def test_the_static_page_still_names_the_placeholders_render_replaces() -> None:
    assert isinstance(STATIC, Path)
    for marker in ("<title>Fleet</title>", 'href="#/">Fleet</a>', "/ui/app.css"):
        assert marker in PAGE
