"""Scheduled digests and their once-per-slot claims.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digests",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("group_tag", sa.String(200)),
        sa.Column("owner_tag", sa.String(200)),
        sa.Column("frequency", sa.String(8), nullable=False),
        sa.Column("local_time", sa.String(5), nullable=False),
        sa.Column("weekday", sa.String(1)),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("covered_until", sa.DateTime(timezone=True)),
        sa.Column("snapshot", sa.Text),
        sa.Column("disabled_reason", sa.String(64)),
    )
    op.create_index("ix_digests_team_id", "digests", ["team_id"])
    op.create_index("ix_digests_next_due_at", "digests", ["next_due_at"])
    op.create_table(
        "digest_slots",
        sa.Column("digest_id", sa.String(32), primary_key=True),
        sa.Column("slot_at", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("holder", sa.String(64)),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("digest_slots")
    op.drop_index("ix_digests_next_due_at", "digests")
    op.drop_index("ix_digests_team_id", "digests")
    op.drop_table("digests")
