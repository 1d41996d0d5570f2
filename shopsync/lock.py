"""One writer per shop: a leased lock (its rows: shopsync.store.shop_locks), fenced per batch."""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError

from shopsync.errors import StopError, UserInputError
from shopsync.store import Store, shop_locks

__all__ = ["DEFAULT_EXPIRY", "EXPIRY_VARIABLE", "LockLost", "ShopLock", "ShopLocked"]

DEFAULT_EXPIRY = 120.0  # seconds without heartbeat after which a holder counts as dead
EXPIRY_VARIABLE = "SHOPSYNC_LOCK_EXPIRY"  # overrides DEFAULT_EXPIRY, in seconds
_WAIT_SECONDS = 10  # how long taking the lock waits for a holder's open batch (PostgreSQL)


def _alive(holder: str) -> bool:
    """False when the holder ran on this machine and its process is gone (killed)."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True  # another machine: only the lease can tell
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _default_expiry() -> float:
    raw = os.environ.get(EXPIRY_VARIABLE, "")
    if not raw:
        return DEFAULT_EXPIRY
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise UserInputError(f"{EXPIRY_VARIABLE}={raw!r}: expected a number of seconds > 0")
    return value


class ShopLocked(StopError):
    """Another sync of the same shop is running on the same store."""


class LockLost(ShopLocked):
    """This run's lock expired and another run took it over: stop, write nothing more."""


class ShopLock:
    """``with ShopLock(store, "DEMO"):`` — held for a sync run.

    The holder leases the lock for ``expiry`` seconds and renews the lease with ``beat()``
    (between calls to Shopify) and ``check(conn)`` (inside each batch's transaction). A holder
    that died (SIGKILL, power loss) or stalled stops renewing; once its lease ran out the next
    run takes the lock over — at once when the holder was a process of this machine that no
    longer exists. ``check(conn)`` is the fence: a stalled holder whose lock was taken over
    raises LockLost there, so its batch rolls back instead of committing.
    """

    def __init__(
        self,
        store: Store,
        shop_code: str,
        *,
        expiry: float | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.store = store
        self.shop_code = shop_code
        self.expiry = _default_expiry() if expiry is None else float(expiry)
        self.clock = clock
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._last_beat = 0.0

    def acquire(self) -> None:
        """Take the lock, or raise ShopLocked naming the run that holds it."""
        try:
            with self.store.engine.begin() as conn:
                self._take(conn)
        except IntegrityError:
            raise ShopLocked(
                f"another sync of shop {self.shop_code} started at the same moment"
            ) from None
        except OperationalError as exc:  # a holder's batch kept the row (or SQLite file) busy
            if not shop_locks.is_lock_wait(exc):
                raise
            raise ShopLocked(
                f"another sync of shop {self.shop_code} is writing to the store; try again "
                "when it ends"
            ) from None

    def _take(self, conn: Any) -> None:
        shop_locks.limit_lock_wait(conn, _WAIT_SECONDS)
        # write first: two contenders then queue on the row (the file, on SQLite) and the second
        # reads what the first wrote; the lease is judged when the wait is over
        shop_locks.claim_lock_row(conn, self.shop_code)
        now = self.clock()
        current = shop_locks.lock_row(conn, self.shop_code)
        if current is not None:
            if now < current.expires_at and _alive(current.holder):
                since = datetime.fromtimestamp(current.acquired_at, UTC).isoformat(
                    timespec="seconds"
                )
                raise ShopLocked(
                    f"another sync of shop {self.shop_code} is running "
                    f"(holder {current.holder}, since {since}); try again when it ends"
                )
            shop_locks.drop_lock_holder(conn, self.shop_code, current.holder)
        shop_locks.write_lock(conn, self.shop_code, self.holder, now, now + self.expiry)
        self._last_beat = now

    def beat(self, *, every: float | None = None) -> None:
        """Renew the lease (at most once per ``every`` seconds, default a quarter of the
        expiry and at most 5 s); raises LockLost when another run took the lock over."""
        now = self.clock()
        if now - self._last_beat < (min(5.0, self.expiry / 4) if every is None else every):
            return
        with self.store.engine.begin() as conn:
            self._renew(conn, now)

    def check(self, conn: Any) -> None:
        """The fence, called first in each batch transaction (``conn``): renew the lease in
        that transaction or raise LockLost (the batch then rolls back).

        The renewal keeps the lock row locked until the batch commits, so no other run can take
        the lock over in between; on PostgreSQL the server also ends this transaction should
        the process stall inside it longer than the lease (SIGSTOP, swapping), so a taker is
        not kept waiting and the stalled batch can never commit.
        """
        shop_locks.limit_idle_transaction(conn, self.expiry)
        self._renew(conn, self.clock())

    def _renew(self, conn: Any, now: float) -> None:
        if not shop_locks.renew_lock(conn, self.shop_code, self.holder, now, now + self.expiry):
            raise LockLost(
                f"the lock on shop {self.shop_code} expired and another sync took it over; "
                "this run stops here and writes nothing more"
            )
        self._last_beat = now

    def release(self) -> None:
        """Give the lock up (nothing happens when another run holds it by now)."""
        with self.store.engine.begin() as conn:
            shop_locks.release_lock(conn, self.shop_code, self.holder)

    def __enter__(self) -> ShopLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
