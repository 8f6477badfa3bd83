"""The ``telemetry`` read model: routine decisions from the telemetry stream."""
