"""A digest may narrow its deploys to one environment (`digest daily env=production`).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("digests", sa.Column("environment", sa.String(200)))


def downgrade() -> None:
    op.drop_column("digests", "environment")
