"""The incident autopilot: each workspace's Rootly webhook and each incident's message.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "autopilot_webhooks",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("token_digest", sa.String(64), nullable=False, unique=True),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("endpoint_id", sa.String(64)),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("window_minutes", sa.Integer, nullable=False),
        sa.Column("enabled_by", sa.String(32), nullable=False),
        sa.Column("enabled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_delivery_at", sa.DateTime(timezone=True)),
        sa.Column("last_incident_id", sa.String(64)),
        sa.Column("last_incident_title", sa.String(300)),
        sa.Column("last_outcome", sa.String(32)),
        sa.Column("last_detail", sa.String(300)),
        sa.Column("last_channel_id", sa.String(32)),
    )
    op.create_table(
        "autopilot_incidents",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("incident_id", sa.String(64), primary_key=True),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("message_ts", sa.String(32), nullable=False),
        sa.Column("services", sa.Text, nullable=False),
        sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("timeline", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("autopilot_incidents")
    op.drop_table("autopilot_webhooks")
