"""Async BingX USDT-M perpetual futures client: signing, REST, market and user-data WebSockets."""
