"""The simulator's pure domain: market data, accounts, matching, signatures, limits."""
