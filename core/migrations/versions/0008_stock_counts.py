"""Stock counts: a variant remembers the figure a person last gave; the ledger records counts too

``variant.counted_stock`` is the stock figure of the last catalog import or ``catalog set-stock``: an
import giving the same figure again leaves on hand alone (re-importing a file no longer undoes the sales
since), a different figure is a new count. A count that moves on hand is a ledger entry with no order
line (a stock-take: ``source``, ``actor`` and ``on_hand_after`` say from what, who and old → new).

Existing variants get the count their on hand implies: on hand minus everything the ledger has moved.
For a catalog imported once and moved only by orders since, that is exactly the file's figure; after a
``set-stock`` (which moved on hand without a ledger entry before this revision) it is an estimate, and
the next count replaces it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("variant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("counted_stock", sa.Integer(), nullable=True))
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.alter_column("order_line_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("on_hand_after", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("source", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("actor", sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE variant SET counted_stock = stock_on_hand - COALESCE("
        "(SELECT SUM(ledger_entry.on_hand_delta) FROM ledger_entry WHERE ledger_entry.variant_id = variant.id), 0)"
    )


def downgrade() -> None:
    op.execute("DELETE FROM ledger_entry WHERE order_line_id IS NULL")
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_column("actor")
        batch_op.drop_column("source")
        batch_op.drop_column("on_hand_after")
        batch_op.alter_column("order_line_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("variant", schema=None) as batch_op:
        batch_op.drop_column("counted_stock")
