"""Rebuild history of projections.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "projection_rebuilds",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("projection", sa.String(64), nullable=False, index=True),
        sa.Column("projection_version", sa.Integer, nullable=False),
        sa.Column("events", sa.BigInteger, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        schema="fleet_meta",
    )


def downgrade() -> None:
    op.drop_table("projection_rebuilds", schema="fleet_meta")
