"""Event envelope, event registry, upcasting and every domain event type."""
