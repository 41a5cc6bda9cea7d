"""channel_account.removed_at: an account removed with ``chosync channels remove`` whose history stays

An account that has orders, ledger entries, listings or operations cannot be deleted (they reference it
and are the stock truth), so removing it marks it instead: gone from lists and from the daemon's jobs.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channel_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channel_account", schema=None) as batch_op:
        batch_op.drop_column("removed_at")
