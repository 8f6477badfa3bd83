"""Fleet strategy service."""
