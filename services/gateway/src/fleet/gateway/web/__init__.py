"""The web UI: plain HTML, CSS and JavaScript modules (no build step) served beside the
JSON API, which they call with ``fetch``; see ``serve.install_web_ui``."""

from fleet.gateway.web.serve import install_web_ui

__all__ = ["install_web_ui"]
