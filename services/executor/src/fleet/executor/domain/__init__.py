"""The executor's pure domain: the risk engine and the bot aggregate. No I/O here."""
