"""listing.problem: what stops a product from being listed as the catalog has it, as the last plan found it

A listing with a preflight problem is blocked (counted Failed, never Same) until a plan maps the product
again. A listing that never reached the marketplace already said so by its status ``problem``; a live
item did not, so the problem gets a column of its own. Listings in status ``problem`` take their last
error as it, and a live one whose last error a plan of an earlier revision marked ("cannot be listed: ")
takes it without the mark.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_MARK = "cannot be listed: "
_listing = sa.table("listing", sa.column("status"), sa.column("last_error"), sa.column("problem"))


def upgrade() -> None:
    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.add_column(sa.Column("problem", sa.Text(), nullable=True))
    op.execute(sa.update(_listing).where(_listing.c.status == "problem").values(problem=_listing.c.last_error))
    marked = _listing.c.last_error.startswith(_MARK, autoescape=True)
    unmarked = sa.func.substr(_listing.c.last_error, len(_MARK) + 1)
    op.execute(sa.update(_listing).where(marked).values(problem=unmarked, last_error=unmarked))


def downgrade() -> None:
    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.drop_column("problem")
