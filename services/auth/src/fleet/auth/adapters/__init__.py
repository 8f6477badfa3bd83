"""The auth service's I/O: argon2 hashing in worker threads."""
