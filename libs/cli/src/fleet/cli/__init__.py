"""The fleet command: up, down, status, projections, admin and service sub-commands."""
