"""The shop lock's rows: the SQL that takes, renews, fences and gives up one shop's lease."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import OperationalError

from shopsync.store.tables import locks

__all__ = [
    "claim_lock_row",
    "drop_lock_holder",
    "is_lock_wait",
    "limit_idle_transaction",
    "limit_lock_wait",
    "lock_row",
    "release_lock",
    "renew_lock",
    "write_lock",
]


def limit_lock_wait(conn: Any, seconds: int) -> None:
    """On PostgreSQL, wait at most ``seconds`` for a row another transaction holds."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SET LOCAL lock_timeout = '{int(seconds)}s'"))


def limit_idle_transaction(conn: Any, seconds: float) -> None:
    """On PostgreSQL, end this transaction when it stays idle longer than ``seconds``."""
    if conn.dialect.name == "postgresql":
        milliseconds = max(1, int(seconds * 1000))
        conn.execute(text(f"SET LOCAL idle_in_transaction_session_timeout = {milliseconds}"))


def claim_lock_row(conn: Any, shop_code: str) -> None:
    """Write the shop's lock row unchanged: two contenders then queue on the row (the file, on
    SQLite) and the second reads what the first wrote."""
    conn.execute(update(locks).where(locks.c.shop_code == shop_code).values(shop_code=shop_code))


def lock_row(conn: Any, shop_code: str) -> Any:
    """The shop's lock row (holder, acquired_at, heartbeat_at, expires_at), or None."""
    return conn.execute(select(locks).where(locks.c.shop_code == shop_code)).first()


def drop_lock_holder(conn: Any, shop_code: str, holder: str) -> None:
    """Remove the lock of ``holder`` (a dead or expired one being taken over)."""
    conn.execute(delete(locks).where(locks.c.shop_code == shop_code, locks.c.holder == holder))


def write_lock(conn: Any, shop_code: str, holder: str, now: float, expires_at: float) -> None:
    """Insert the shop's lock for ``holder`` (an IntegrityError when another was first)."""
    conn.execute(
        insert(locks).values(
            shop_code=shop_code,
            holder=holder,
            acquired_at=now,
            heartbeat_at=now,
            expires_at=expires_at,
        )
    )


def renew_lock(conn: Any, shop_code: str, holder: str, now: float, expires_at: float) -> bool:
    """Move ``holder``'s lease on; False when the lock is no longer ``holder``'s."""
    result = conn.execute(
        update(locks)
        .where(locks.c.shop_code == shop_code, locks.c.holder == holder)
        .values(heartbeat_at=now, expires_at=expires_at)
    )
    return result.rowcount == 1


def release_lock(conn: Any, shop_code: str, holder: str) -> None:
    """Give ``holder``'s lock up (nothing happens when another holds it by now)."""
    drop_lock_holder(conn, shop_code, holder)


def is_lock_wait(exc: OperationalError) -> bool:
    """SQLite's "database is locked" or PostgreSQL's lock_timeout (SQLSTATE 55P03)."""
    code = getattr(exc.orig, "sqlstate", None)
    return code == "55P03" or "database is locked" in str(exc.orig)
