"""The simulator's HTTP and WebSocket surface (BingX paths, plus /sim/ for tests)."""
