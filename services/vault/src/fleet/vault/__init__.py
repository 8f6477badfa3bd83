"""Fleet vault service."""
