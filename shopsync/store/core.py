"""Opening a store: its URL, the engine and the schema check; the Store its parts make."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from shopsync.errors import UserInputError
from shopsync.store.customer_links import CustomerLinks
from shopsync.store.erp import ErpCustomers
from shopsync.store.handover import Handover
from shopsync.store.intents import CreateIntents
from shopsync.store.mirror import Mirror
from shopsync.store.orders import OrderCustomers
from shopsync.store.reference import ReferenceData
from shopsync.store.runs import Runs

__all__ = ["DEFAULT_DB_URL", "Store", "open_store", "resolve_db_url"]


DEFAULT_DB_URL = "sqlite:///data/shopsync.db"


class Store(
    ReferenceData,
    ErpCustomers,
    Mirror,
    CustomerLinks,
    CreateIntents,
    OrderCustomers,
    Handover,
    Runs,
):
    """Reads and writes shopsync's tables; one instance per database, no hidden state.

    Each group of tables has its part: reference data, ERP customers, the Shopify mirror,
    links, create intents, order customers, the hand-over and runs (the shop lock's rows:
    shopsync.store.shop_locks).
    """


def resolve_db_url(url: str | None = None) -> str:
    """The store URL: the argument, else ``SHOPSYNC_DB``, else the SQLite file data/shopsync.db."""
    return url or os.environ.get("SHOPSYNC_DB") or DEFAULT_DB_URL


def open_store(url: str | None = None, *, upgrade: bool = False) -> Store:
    """Connect to the store at ``url`` (see resolve_db_url); the schema is created if missing,
    and migrated to this shopsync's revision with ``upgrade`` (else an older one is refused)."""
    url = resolve_db_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UserInputError(f"not a database URL: {url!r}") from None
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        _sqlite_folder(parsed)
    if parsed.drivername == "postgresql":  # psycopg 3, the driver of shopsync[postgres]
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername.startswith("postgresql+psycopg") and not _has_module("psycopg"):
        raise UserInputError(
            "a PostgreSQL store needs the driver: pip install 'shopsync[postgres]'"
        )
    try:
        engine = create_engine(parsed)
    except Exception as exc:  # missing driver, bad option...
        raise UserInputError(f"cannot open store {parsed.render_as_string()}: {exc}") from None
    if parsed.drivername.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    store = Store(engine)
    store.schema_change = store.create_schema(upgrade=upgrade)
    return store


def _sqlite_folder(parsed: URL) -> None:
    """Create the folder of a SQLite store file; a parent that is a file (or cannot be
    made) is a one-line error."""
    database = str(parsed.database)
    if parsed.query.get("uri") == "true":  # file:PATH?mode=ro: SQLite reads the URI itself
        database = urlsplit(database).path
    folder = Path(database).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        why = (
            "a file is in the way"
            if isinstance(exc, (FileExistsError, NotADirectoryError))
            else exc.strerror
        )
        raise UserInputError(
            f"cannot create the folder {str(folder)!r} for the store: {why}"
        ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserInputError(f"cannot write in the folder {str(folder)!r} of the store")


def _has_module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
