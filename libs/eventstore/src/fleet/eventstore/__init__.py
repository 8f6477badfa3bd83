"""Event store on NATS JetStream: append with optimistic concurrency, load, subscribe, aggregates."""
