"""Pytest fixtures that start the real parts once per session and give each test a clean namespace."""
