"""I/O adapters of the vault service."""
