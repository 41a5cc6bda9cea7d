"""operation.rate_limited_s: the time an operation has waited on rate limits, so that wait is bounded

A rate limit spends no attempt (DESIGN's operation state machine), so attempts alone cannot stop an
operation that a marketplace throttles forever; the seconds it has waited are summed here and the
operation is parked once they pass the configured bound.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("operation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rate_limited_s", sa.Float(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("operation", schema=None) as batch_op:
        batch_op.drop_column("rate_limited_s")
