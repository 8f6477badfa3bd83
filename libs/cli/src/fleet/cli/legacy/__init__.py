"""``fleet import legacy``: moving a single-user bot's SQLite trades and ``.env`` into Fleet."""
