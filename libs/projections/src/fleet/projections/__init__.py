"""Read-model projections in PostgreSQL (SQLAlchemy 2 + psycopg 3).

Each projection owns one PostgreSQL schema (``rm_<name>``) holding its tables and its
checkpoint (the last applied stream sequence). A batch of events and the checkpoint move
in one transaction, so a crash never applies an event twice or skips one. A rebuild
replays the log from sequence 1 into a shadow schema and swaps it in atomically.
"""

from fleet.projections.errors import CheckpointMoved, ProjectionError, ProjectionFailed
from fleet.projections.projection import PROJECTION_SCHEMA, Projection, ProjectionTx
from fleet.projections.runner import Progress, ProjectionRunner

__all__ = [
    "PROJECTION_SCHEMA",
    "CheckpointMoved",
    "Progress",
    "Projection",
    "ProjectionError",
    "ProjectionFailed",
    "ProjectionRunner",
    "ProjectionTx",
]
