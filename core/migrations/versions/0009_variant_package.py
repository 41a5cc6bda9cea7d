"""Weight and dimensions per variant: a product's rice in 2 kg, 5 kg and 10 kg bags ships three parcels

Every variant gets the package columns, filled with its product's values (nothing is lost: a variant
ships as its product did), and the product's columns go: the package is the variant's from now on.
Downgrading puts back on each product the heaviest of its variants' packages (no parcel under-declared).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("weight_g", sa.Integer()),
    ("length_cm", sa.Float()),
    ("width_cm", sa.Float()),
    ("height_cm", sa.Float()),
)
_NAMES = [name for name, _ in _COLUMNS]
_product = sa.table("product", sa.column("id"), *(sa.column(n) for n in _NAMES))
_variant = sa.table("variant", sa.column("product_id"), *(sa.column(n) for n in _NAMES))


def upgrade() -> None:
    with op.batch_alter_table("variant", schema=None) as batch_op:
        for name, kind in _COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
    of_product = {
        n: sa.select(_product.c[n]).where(_product.c.id == _variant.c.product_id).scalar_subquery() for n in _NAMES
    }
    op.execute(sa.update(_variant).values(of_product))
    with op.batch_alter_table("product", schema=None) as batch_op:
        for name in _NAMES:
            batch_op.drop_column(name)


def downgrade() -> None:
    with op.batch_alter_table("product", schema=None) as batch_op:
        for name, kind in _COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
    heaviest = {
        n: sa.select(sa.func.max(_variant.c[n])).where(_variant.c.product_id == _product.c.id).scalar_subquery()
        for n in _NAMES
    }
    op.execute(sa.update(_product).values(heaviest))
    with op.batch_alter_table("variant", schema=None) as batch_op:
        for name in _NAMES:
            batch_op.drop_column(name)
