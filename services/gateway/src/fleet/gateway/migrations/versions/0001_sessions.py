"""Browser sessions (``gateway.sessions``). A table made by the code before Alembic owned
it (``create_all``: the same columns and index) is adopted as it is, rows and all.

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
    if sa.inspect(op.get_bind()).has_table("sessions", schema="gateway"):
        return  # created at startup by an earlier gateway: adopted, rows kept
    op.create_table(
        "sessions",
        sa.Column("session_sha256", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("csrf_sha256", sa.String(64), nullable=False),
        sa.Column("must_change_password", sa.Boolean, nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        schema="gateway",
    )
    op.create_index("ix_gateway_sessions_user_id", "sessions", ["user_id"], schema="gateway")


def downgrade() -> None:
    op.drop_table("sessions", schema="gateway")
