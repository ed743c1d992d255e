"""Claims on requests that record something in Cortex, so a retry or double click records once.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_claims",
        sa.Column("claim_key", sa.String(64), primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("request_claims_claimed_at", "request_claims", ["claimed_at"])


def downgrade() -> None:
    op.drop_table("request_claims")
