"""scheduler and assisted channels: schedules, leases, daemon, job requests, upload packs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
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
        "daemon",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("jobs", sa.JSON(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "job_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("seller", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("sku", sa.String(length=100), nullable=True),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "lease",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "upload_pack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("operations", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["channel_account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("upload_pack", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_upload_pack_account_id"), ["account_id"], unique=False)

    with op.batch_alter_table("channel_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("push_every_s", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("pull_every_s", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reconcile_every_s", sa.Integer(), nullable=True))

    with op.batch_alter_table("operation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pack_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_operation_pack_id"), ["pack_id"], unique=False)
        batch_op.create_foreign_key("fk_operation_pack_id_upload_pack", "upload_pack", ["pack_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("operation", schema=None) as batch_op:
        # WARNING: constraint name is None; this directive will fail as
        # rendered.  Add a name, or use a naming convention; see
        # https://alembic.sqlalchemy.org/en/latest/naming.html
        batch_op.drop_constraint("fk_operation_pack_id_upload_pack", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_operation_pack_id"))
        batch_op.drop_column("pack_id")

    with op.batch_alter_table("channel_account", schema=None) as batch_op:
        batch_op.drop_column("reconcile_every_s")
        batch_op.drop_column("pull_every_s")
        batch_op.drop_column("push_every_s")

    with op.batch_alter_table("upload_pack", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_upload_pack_account_id"))

    op.drop_table("upload_pack")
    op.drop_table("lease")
    op.drop_table("job_request")
    op.drop_table("daemon")
