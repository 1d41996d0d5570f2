"""A store's engine: its schema check, transactions, frames and upserts, shared by every part."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, Table, func, select
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

from shopsync.errors import UserInputError
from shopsync.migrations import SchemaChange, ensure_schema
from shopsync.store.tables import metadata

__all__ = ["StoreBase", "chunks", "created_meanwhile", "iso_now", "one_line_error", "utc_now"]


class StoreBase:
    """A store's engine and the helpers the table groups share (no hidden state)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.schema_change: SchemaChange | None = None  # what open_store did to the schema

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    def create_schema(self, *, upgrade: bool = False) -> SchemaChange:
        """Create a new store's tables; check an existing store's revision, or migrate it
        (``upgrade``); refuse one made by a newer shopsync, or tables that are not a
        shopsync store's (never stamped blindly). Several processes creating the same new
        store at once all succeed (SQLite creates table by table: the others look again)."""
        attempts = 8
        for attempt in range(attempts):
            try:
                return ensure_schema(self.engine, upgrade=upgrade)
            except (OperationalError, IntegrityError, UserInputError) as exc:
                midway = isinstance(exc, UserInputError) and "no schema version" in str(exc)
                if attempt + 1 == attempts or not (midway or created_meanwhile(exc)):
                    if isinstance(exc, UserInputError):
                        raise
                    raise UserInputError(
                        f"cannot open store {self!r}: {one_line_error(exc)}"
                    ) from None
                time.sleep(0.1 * (attempt + 1))  # another process is creating it: look again
            except DatabaseError as exc:  # not a database, corrupt, read-only...
                raise UserInputError(f"cannot open store {self!r}: {one_line_error(exc)}") from None
        raise AssertionError("unreachable")

    def table_counts(self) -> dict[str, int]:
        """Row count of every table (for summaries and tests)."""
        with self.engine.connect() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in metadata.tables.items()
            }

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """One database transaction: pass the connection as ``conn=`` to the writers."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def _begin(self, conn: Any = None) -> Iterator[Any]:
        if conn is not None:
            yield conn
        else:
            with self.engine.begin() as own:
                yield own

    def _execute(self, statement: Any, conn: Any = None) -> None:
        with self._begin(conn) as active:
            active.execute(statement)

    def _frame(self, query: Any) -> pd.DataFrame:
        with self.engine.connect() as conn:
            result = conn.execute(query)
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()), dtype=object)

    def _upsert(
        self,
        table: Table,
        rows: Iterable[Mapping[str, Any]],
        keys: list[str],
        *,
        overwrite: bool = False,
    ) -> int:
        """Insert rows whose key is new; with ``overwrite`` also update existing ones. When
        another process inserted the same keys meanwhile, it looks again."""
        rows = list(rows)
        if not rows:
            return 0
        for attempt in range(5):
            try:
                return self._upsert_once(table, rows, keys, overwrite)
            except (OperationalError, IntegrityError) as exc:
                if attempt == 4 or not created_meanwhile(exc):
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def _upsert_once(
        self, table: Table, rows: list[Mapping[str, Any]], keys: list[str], overwrite: bool
    ) -> int:
        key_columns = [table.c[k] for k in keys]
        with self.engine.begin() as conn:
            existing = {tuple(r) for r in conn.execute(select(*key_columns))}
            new = [r for r in rows if tuple(r[k] for k in keys) not in existing]
            if new:
                conn.execute(table.insert(), new)
            if overwrite:
                for row in rows:
                    if tuple(row[k] for k in keys) in existing:
                        condition = [table.c[k] == row[k] for k in keys]
                        conn.execute(table.update().where(*condition).values(**row))
        return len(new)


def created_meanwhile(exc: Exception) -> bool:
    """True when ``exc`` says another process created the same table or row first."""
    text = str(getattr(exc, "orig", exc)).lower()
    return isinstance(exc, IntegrityError) or "already exists" in text or "locked" in text


def one_line_error(exc: Exception) -> str:
    return " ".join(str(getattr(exc, "orig", None) or exc).split())


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_now() -> str:
    """Now, as ISO-8601 UTC text with microseconds (sorts as it reads)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
