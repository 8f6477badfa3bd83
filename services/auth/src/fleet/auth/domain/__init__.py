"""The auth domain: users, usernames, passwords, login throttling, settings. No I/O."""
