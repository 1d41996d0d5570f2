"""Alembic's entry point: migrate the connection shopsync hands over, or ``-x db=URL``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from shopsync.store import metadata


def _migrate(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:  # shopsync.migrations.ensure_schema
    _migrate(connection)
else:  # the alembic command line, on a scratch store: -x db=sqlite:///head.db
    url = context.get_x_argument(as_dictionary=True).get("db")
    if not url:
        raise SystemExit("name the scratch store: alembic ... -x db=URL")
    with create_engine(url).connect() as conn:
        _migrate(conn)
        conn.commit()
