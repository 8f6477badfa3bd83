"""Typed settings base for every Fleet service."""
