"""Live updates: the event log pushed to WebSocket clients, after the read models applied it."""
