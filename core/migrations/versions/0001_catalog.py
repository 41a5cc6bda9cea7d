"""catalog: sellers, products, variants

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seller",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("province", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("seller", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seller_code"), ["code"], unique=True)

    op.create_table(
        "product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=255), nullable=False),
        sa.Column("brand", sa.String(length=255), nullable=True),
        sa.Column("images", sa.JSON(), nullable=False),
        sa.Column("weight_g", sa.Integer(), nullable=True),
        sa.Column("length_cm", sa.Float(), nullable=True),
        sa.Column("width_cm", sa.Float(), nullable=True),
        sa.Column("height_cm", sa.Float(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ocop_stars", sa.Integer(), nullable=True),
        sa.Column("ocop_certificate", sa.String(length=128), nullable=True),
        sa.Column("ocop_year", sa.Integer(), nullable=True),
        sa.Column("origin_province", sa.String(length=128), nullable=True),
        sa.Column("origin_district", sa.String(length=128), nullable=True),
        sa.Column("traceability_code", sa.String(length=128), nullable=True),
        sa.Column("traceability_url", sa.String(length=1024), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["seller.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seller_id", "sku", name="uq_product_seller_sku"),
    )
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_product_seller_id"), ["seller_id"], unique=False)

    op.create_table(
        "variant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("option1_name", sa.String(length=64), nullable=True),
        sa.Column("option1_value", sa.String(length=128), nullable=True),
        sa.Column("option2_name", sa.String(length=64), nullable=True),
        sa.Column("option2_value", sa.String(length=128), nullable=True),
        sa.Column("price_vnd", sa.BigInteger(), nullable=False),
        sa.Column("list_price_vnd", sa.BigInteger(), nullable=True),
        sa.Column("barcode", sa.String(length=64), nullable=True),
        sa.Column("stock_on_hand", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["seller.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seller_id", "sku", name="uq_variant_seller_sku"),
    )
    with op.batch_alter_table("variant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_variant_product_id"), ["product_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_variant_seller_id"), ["seller_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("variant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_variant_seller_id"))
        batch_op.drop_index(batch_op.f("ix_variant_product_id"))

    op.drop_table("variant")
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_seller_id"))

    op.drop_table("product")
    with op.batch_alter_table("seller", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seller_code"))

    op.drop_table("seller")
