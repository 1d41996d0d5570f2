"""The store as shopsync 0.1.0 made it (``meta.schema_version`` 2), the baseline.

A store made before migrations existed has these tables and no ``alembic_version``: it is
stamped at this revision and upgraded from here.

Revision ID: 0001
Revises: (none)
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "company",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("country_code", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "countries",
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("iso_code", sa.String(length=2), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "customer_templates",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=100), nullable=False),
        sa.Column("gen_bus_posting_group", sa.String(length=20), nullable=False),
        sa.Column("vat_bus_posting_group", sa.String(length=20), nullable=False),
        sa.Column("customer_posting_group", sa.String(length=20), nullable=False),
        sa.Column("tax_area_code", sa.String(length=20), nullable=False),
        sa.Column("tax_liable", sa.Boolean(), nullable=False),
        sa.Column("payment_terms_code", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "erp_customers",
        sa.Column("no", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("name_2", sa.String(length=255), nullable=False),
        sa.Column("contact", sa.String(length=255), nullable=False),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("address_2", sa.String(length=255), nullable=False),
        sa.Column("city", sa.String(length=255), nullable=False),
        sa.Column("county", sa.String(length=255), nullable=False),
        sa.Column("post_code", sa.String(length=20), nullable=False),
        sa.Column("country_code", sa.String(length=10), nullable=False),
        sa.Column("phone", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("gen_bus_posting_group", sa.String(length=255), nullable=False),
        sa.Column("vat_bus_posting_group", sa.String(length=255), nullable=False),
        sa.Column("customer_posting_group", sa.String(length=255), nullable=False),
        sa.Column("tax_area_code", sa.String(length=20), nullable=False),
        sa.Column("tax_liable", sa.Boolean(), nullable=False),
        sa.Column("payment_terms_code", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("no"),
    )
    op.create_table(
        "locks",
        sa.Column("shop_code", sa.String(length=20), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("acquired_at", sa.Float(), nullable=False),
        sa.Column("heartbeat_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("shop_code"),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "number_series",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("prefix", sa.String(length=10), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.Column("digits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "order_customers",
        sa.Column("shop_code", sa.String(length=20), nullable=False),
        sa.Column("order_id", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("sell_to_customer_no", sa.String(length=20), nullable=False),
        sa.Column("bill_to_customer_no", sa.String(length=20), nullable=False),
        sa.Column("rule", sa.String(length=30), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("shop_code", "order_id"),
    )
    op.create_table(
        "shopify_addresses",
        sa.Column("shop_code", sa.String(length=20), nullable=False),
        sa.Column("id", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.String(length=20), nullable=False),
        sa.Column("company", sa.String(length=255), nullable=False),
        sa.Column("first_name", sa.String(length=255), nullable=False),
        sa.Column("last_name", sa.String(length=255), nullable=False),
        sa.Column("address1", sa.String(length=255), nullable=False),
        sa.Column("address2", sa.String(length=255), nullable=False),
        sa.Column("zip", sa.String(length=40), nullable=False),
        sa.Column("city", sa.String(length=255), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("country_name", sa.String(length=100), nullable=False),
        sa.Column("province_code", sa.String(length=10), nullable=False),
        sa.Column("province_name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("customer_no", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("shop_code", "id"),
    )
    op.create_index(
        op.f("ix_shopify_addresses_customer_id"), "shopify_addresses", ["customer_id"], unique=False
    )
    op.create_table(
        "shopify_customers",
        sa.Column("shop_code", sa.String(length=20), nullable=False),
        sa.Column("id", sa.String(length=20), nullable=False),
        sa.Column("first_name", sa.String(length=255), nullable=False),
        sa.Column("last_name", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("verified_email", sa.Boolean(), nullable=False),
        sa.Column("tax_exempt", sa.Boolean(), nullable=False),
        sa.Column("email_marketing_state", sa.String(length=30), nullable=False),
        sa.Column("default_address_id", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.Column("last_updated_by_erp", sa.String(length=32), nullable=False),
        sa.Column("customer_no", sa.String(length=20), nullable=False),
        sa.Column("invite", sa.String(length=12), nullable=False),
        sa.PrimaryKeyConstraint("shop_code", "id"),
    )
    op.create_table(
        "shops",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("shop_code", sa.String(length=20), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.String(length=32), nullable=False),
        sa.Column("finished_at", sa.String(length=32), nullable=False),
        sa.Column("watermark", sa.String(length=32), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_sync_runs_shop_code"), "sync_runs", ["shop_code"], unique=False)
    op.create_table(
        "tax_areas",
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("province", sa.String(length=100), nullable=False),
        sa.Column("province_code", sa.String(length=10), nullable=False),
        sa.Column("tax_area_code", sa.String(length=20), nullable=False),
        sa.Column("tax_liable", sa.Boolean(), nullable=False),
        sa.Column("vat_bus_posting_group", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("country", "province"),
    )
    op.create_table(
        "shop_countries",
        sa.Column("shop_code", sa.String(length=20), nullable=False),
        sa.Column("iso_code", sa.String(length=2), nullable=False),
        sa.Column("customer_template_code", sa.String(length=20), nullable=False),
        sa.Column("default_customer_no", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_code"],
            ["shops.code"],
        ),
        sa.PrimaryKeyConstraint("shop_code", "iso_code"),
    )
    op.create_table(
        "sync_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("record", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["sync_runs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_sync_log_run_id"), "sync_log", ["run_id"], unique=False)
    op.bulk_insert(
        sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text)),
        [{"key": "schema_version", "value": "2"}],
    )


def downgrade() -> None:
    raise NotImplementedError("the baseline cannot be removed; drop the database instead")
