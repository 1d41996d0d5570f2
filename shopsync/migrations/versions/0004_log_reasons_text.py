"""``sync_log.reason`` holds every reason code of a record (``;``-separated), of any length.

It was VARCHAR(40): SQLite never enforced that, PostgreSQL refused a record with several
codes and the run's log could not be written.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_log") as batch:
        batch.alter_column(
            "reason", type_=sa.Text(), existing_type=sa.String(length=40), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sync_log") as batch:
        batch.alter_column(
            "reason", type_=sa.String(length=40), existing_type=sa.Text(), existing_nullable=False
        )
