"""Fleet executor service."""
