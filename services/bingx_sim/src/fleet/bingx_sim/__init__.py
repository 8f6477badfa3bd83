"""Fleet bingx_sim service."""
