"""Links, watermarks and create intents get tables of their own (``meta.schema_version`` 3).

A store of schema 2 keeps what it knew: each mirror row's ``customer_no`` becomes a ``links``
row, and the newest watermark a finished run recorded becomes the shop's ``customers``
watermark. A store made at schema 3 before migrations existed is stamped at this revision.

Revision ID: 0002
Revises: 0001
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_FINISHED = "status IN ('succeeded', 'failed') AND watermark <> ''"


def upgrade() -> None:
    op.create_table(
        "create_intents",
        sa.Column("shop_code", sa.String(length=20), nullable=False),
        sa.Column("customer_no", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("shop_code", "customer_no"),
        comment="Shopify creates sent but not yet recorded (a kill in between is recovered)",
    )
    op.create_table(
        "links",
        sa.Column("shop_code", sa.String(length=20), nullable=False),
        sa.Column("shopify_id", sa.String(length=20), nullable=False),
        sa.Column("customer_no", sa.String(length=20), nullable=False),
        sa.Column("linked_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("shop_code", "shopify_id"),
        comment="Shopify customer <-> ERP customer: a fact of its own, mirrored or not",
    )
    op.create_index(op.f("ix_links_customer_no"), "links", ["customer_no"], unique=False)
    op.create_table(
        "watermarks",
        sa.Column("shop_code", sa.String(length=20), nullable=False),
        sa.Column("stream", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("shop_code", "stream"),
    )
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    op.execute(
        sa.text(
            "INSERT INTO links (shop_code, shopify_id, customer_no, linked_at) "
            "SELECT shop_code, id, customer_no, :now FROM shopify_customers "
            "WHERE customer_no <> ''"
        ).bindparams(now=now)
    )
    op.execute(
        "INSERT INTO watermarks (shop_code, stream, value, run_id) "
        "SELECT shop_code, 'customers', watermark, MAX(id) FROM sync_runs AS runs "
        f"WHERE {_FINISHED} AND watermark = (SELECT MAX(watermark) FROM sync_runs "
        f"WHERE shop_code = runs.shop_code AND {_FINISHED}) GROUP BY shop_code, watermark"
    )
    with op.batch_alter_table("shopify_addresses") as batch:
        batch.drop_column("customer_no")
    with op.batch_alter_table("shopify_customers") as batch:
        batch.drop_column("customer_no")
    op.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")


def downgrade() -> None:
    raise NotImplementedError("schema 3 keeps links apart; restore a backup of the store instead")
