"""Schema migrations (Alembic): which revision a store is at, and bringing it to the head.

A new store is created from ``shopsync.store.metadata`` and stamped at the head; a store at an
older revision is upgraded by ``shopsync init`` (``ensure_schema(..., upgrade=True)``) and
refused, with that advice, by every other command. A store made before migrations existed
(no ``alembic_version``) counts as the revision of its ``meta.schema_version``: 2 is 0001,
3 is 0002.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from sqlalchemy import Connection, Engine, inspect, text

from shopsync.errors import UserInputError

__all__ = [
    "LEGACY_REVISIONS",
    "SchemaChange",
    "alembic_config",
    "ensure_schema",
    "head_revision",
    "revision_of",
]

# meta.schema_version of a store made before migrations -> the revision it is at
LEGACY_REVISIONS = {"2": "0001", "3": "0002"}
_MIGRATION_LOCK = 7_305_112  # pg_advisory_xact_lock key: one migrating session at a time


@dataclass(frozen=True)
class SchemaChange:
    """What opening a store did to its schema: ``before`` is None for a new store."""

    before: str | None
    after: str

    @property
    def upgraded(self) -> bool:
        return self.before is not None and self.before != self.after


def alembic_config() -> Any:
    """An Alembic Config on shopsync's revisions (set ``attributes["connection"]`` to run)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("shopsync") / "migrations"))
    return config


@lru_cache(maxsize=1)
def _scripts() -> Any:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The revision this shopsync's tables are at: the newest revision file's number.

    Revision files are named ``NNNN_what.py`` with revision id ``NNNN``, each revising the one
    before (tests/test_migrations.py holds them to it); reading the names spares opening an
    existing store the cost of loading Alembic.
    """
    versions = resources.files("shopsync") / "migrations" / "versions"
    numbers = [
        entry.name.partition("_")[0]
        for entry in versions.iterdir()
        if entry.name.endswith(".py") and entry.name[:4].isdigit()
    ]
    return max(numbers)


def revision_of(conn: Connection) -> str | None:
    """The store's revision: None for an empty database, one of LEGACY_REVISIONS for a store
    made before migrations; raises UserInputError for a database that is not a shopsync
    store."""
    tables = set(inspect(conn).get_table_names())
    if "alembic_version" in tables:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if not tables:
        return None
    version = None
    if "meta" in tables:
        version = conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar()
    if version in LEGACY_REVISIONS:
        return LEGACY_REVISIONS[version]
    from shopsync.store import metadata

    ours = sorted(tables & set(metadata.tables))
    if ours and version is None:
        raise UserInputError(
            f"this store has shopsync tables ({', '.join(ours[:3])}...) but no schema "
            "version: an older shopsync made it; use a new store (--db) and load it again "
            "(it is not changed)"
        )
    raise UserInputError(
        "this database holds tables that are not a shopsync store's "
        f"(schema version {version or 'none'}): use an empty database"
    )


def ensure_schema(engine: Engine, *, upgrade: bool = False) -> SchemaChange:
    """Create a new store at the head, check an existing one, or (``upgrade``) migrate it."""
    from shopsync.store import SCHEMA_VERSION, meta, metadata

    head = head_revision()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # two first runs on one server: one migrates
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        before = revision_of(conn)
        if before == head:
            return SchemaChange(before, head)
        if before is None:  # a new store: made at the head without loading Alembic
            metadata.create_all(conn)
            conn.execute(meta.insert().values(key="schema_version", value=SCHEMA_VERSION))
            _stamp_new(conn, head)
            return SchemaChange(None, head)
        known = {script.revision for script in _scripts().walk_revisions()}
        where = engine.url.render_as_string(hide_password=True)
        if before not in known:
            raise UserInputError(
                f"store {where} is at revision {before}, which this shopsync does not know "
                f"(its newest is {head}): a newer shopsync made it; upgrade shopsync"
            )
        if not upgrade:
            raise UserInputError(
                f"store {where} is at revision {before}, this shopsync needs {head}: run "
                f"`shopsync init --db {where}` to upgrade it in place"
            )
        if "alembic_version" not in inspect(conn).get_table_names():  # made before migrations
            _stamp(conn, before)
        _upgrade(conn)
    return SchemaChange(before, head)


def _stamp(conn: Connection, revision: str) -> None:
    from alembic.runtime.migration import MigrationContext

    MigrationContext.configure(conn).stamp(_scripts(), revision)


def _stamp_new(conn: Connection, revision: str) -> None:
    """What Alembic's stamp does to a database without a version table: create it as
    Alembic's default ``version_table_impl`` does (``version_num`` VARCHAR(32), primary key
    ``alembic_version_pkc``) and write ``revision``; loading Alembic costs a new (in-memory)
    store's command ~0.13 s. tests/test_migrations.py holds it to Alembic's own."""
    from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table

    version = Table(
        "alembic_version",
        MetaData(),
        Column("version_num", String(32), nullable=False),
        PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
    )
    version.create(conn)
    conn.execute(version.insert().values(version_num=revision))


def _upgrade(conn: Connection) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = conn
    command.upgrade(config, "head")
