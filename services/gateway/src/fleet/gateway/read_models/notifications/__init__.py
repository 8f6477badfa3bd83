"""Each user's notifications, their delivery outcomes and his preferences."""
