"""The notify service: follows the event log and tells people what concerns them."""
