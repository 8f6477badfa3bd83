"""The strategy's pure core: indicators, the signal rule, signal identity. No I/O."""
