"""I/O: SMTP, webhooks, the stored position."""
