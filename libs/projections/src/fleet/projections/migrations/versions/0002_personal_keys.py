"""Data keys of personal data (crypto-shredding): one row per subject; a destroyed key
keeps its row (key NULL) so it is never made again.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "personal_keys",
        sa.Column("subject", sa.String(128), primary_key=True),
        sa.Column("data_key", sa.LargeBinary, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        schema="fleet_meta",
    )


def downgrade() -> None:
    op.drop_table("personal_keys", schema="fleet_meta")
