"""Pure rules: which events concern whom, rate limits, digests. No I/O."""
