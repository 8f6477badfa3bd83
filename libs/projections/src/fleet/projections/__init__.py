"""Read-model projections in PostgreSQL with transactional checkpoints, migrations and rebuild."""
