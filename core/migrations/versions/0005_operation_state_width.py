"""operation.state wide enough for 'awaiting_confirmation' (assisted channels' upload packs)

Migration 0004 added the state an assisted channel's operations wait in, ``awaiting_confirmation``
(21 characters), but ``operation.state`` is VARCHAR(16): SQLite ignores the length, PostgreSQL refuses
the value. This widens the column to 32.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("operation", schema=None) as batch_op:
        batch_op.alter_column("state", existing_type=sa.String(length=16), type_=sa.String(length=32),
                              existing_nullable=False)  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("operation", schema=None) as batch_op:
        batch_op.alter_column("state", existing_type=sa.String(length=32), type_=sa.String(length=16),
                              existing_nullable=False)  # fmt: skip
