"""ERP customers keep Business Central's Blocked: ``erp_customers.blocked``.

Existing customers get "" (not blocked) until a file with a Blocked column is loaded.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("erp_customers") as batch:
        batch.add_column(
            sa.Column("blocked", sa.String(length=255), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("erp_customers") as batch:
        batch.drop_column("blocked")
