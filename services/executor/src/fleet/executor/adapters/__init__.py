"""The executor's I/O, named by technology: the vault service over NATS, BingX over HTTP,
shared budgets in NATS KV."""
