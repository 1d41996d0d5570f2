"""The hand-over to the ERP (``shopsync export-erp``): ``erp_exports`` and ``erp_changes``.

A store made at ``meta.schema_version`` 3 after export-erp existed (before migrations) has
both tables already; they are kept as they are.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("erp_exports"):
        return
    op.create_table(
        "erp_exports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("shop_code", sa.String(length=20), nullable=False),
        sa.Column("exported_at", sa.String(length=32), nullable=False),
        sa.Column("files", sa.Text(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_erp_exports_shop_code"), "erp_exports", ["shop_code"], unique=False)
    op.create_table(
        "erp_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("shop_code", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("record", sa.String(length=20), nullable=False),
        sa.Column("shopify_id", sa.String(length=20), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("changed_at", sa.String(length=32), nullable=False),
        sa.Column("export_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["export_id"], ["erp_exports.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_erp_changes_export_id"), "erp_changes", ["export_id"], unique=False)
    op.create_index(op.f("ix_erp_changes_shop_code"), "erp_changes", ["shop_code"], unique=False)


def downgrade() -> None:
    op.drop_table("erp_changes")
    op.drop_table("erp_exports")
