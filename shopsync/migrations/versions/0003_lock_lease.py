"""Locks carry their lease: ``locks.expires_at``, written by the holder with its own expiry.

A contender no longer needs to know the holder's expiry to tell a stale lock. Existing lock
rows get the expiry shopsync used before (120 s after their last heartbeat).
``meta.schema_version`` becomes 4, so that a shopsync from before migrations refuses an
upgraded store.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("locks") as batch:
        batch.add_column(sa.Column("expires_at", sa.Float(), nullable=False, server_default="0"))
    op.execute("UPDATE locks SET expires_at = heartbeat_at + 120")
    op.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")


def downgrade() -> None:
    op.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    with op.batch_alter_table("locks") as batch:
        batch.drop_column("expires_at")
