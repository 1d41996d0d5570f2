"""One writer per shop: a lock row in the store, kept alive by heartbeats, taken over when stale."""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from shopsync.errors import StopError
from shopsync.store import Store, locks

__all__ = ["DEFAULT_EXPIRY", "ShopLock", "ShopLocked"]

DEFAULT_EXPIRY = 120.0  # seconds without heartbeat after which a holder counts as dead


def _alive(holder: str) -> bool:
    """False when the holder ran on this machine and its process is gone (killed)."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True  # another machine: only the heartbeat can tell
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ShopLocked(StopError):
    """Another sync of the same shop is running on the same store."""


class ShopLock:
    """``with ShopLock(store, "DEMO"):`` — held for a sync run; ``beat()`` keeps it alive.

    A holder that died (SIGKILL, power loss) stops beating; after ``expiry`` seconds the next
    run takes the lock over — at once when the holder was a process of this machine that no
    longer exists.
    """

    def __init__(
        self,
        store: Store,
        shop_code: str,
        *,
        expiry: float = DEFAULT_EXPIRY,
        clock: Callable[[], float] = time.time,
    ):
        self.store = store
        self.shop_code = shop_code
        self.expiry = expiry
        self.clock = clock
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._last_beat = 0.0

    def acquire(self) -> None:
        now = self.clock()
        with self.store.engine.begin() as conn:
            current = conn.execute(select(locks).where(locks.c.shop_code == self.shop_code)).first()
            if current is not None:
                if now - current.heartbeat_at < self.expiry and _alive(current.holder):
                    since = datetime.fromtimestamp(current.acquired_at, UTC).isoformat(
                        timespec="seconds"
                    )
                    raise ShopLocked(
                        f"another sync of shop {self.shop_code} is running "
                        f"(holder {current.holder}, since {since}); try again when it ends"
                    )
                conn.execute(
                    delete(locks).where(
                        locks.c.shop_code == self.shop_code, locks.c.holder == current.holder
                    )
                )
            try:
                conn.execute(
                    insert(locks).values(
                        shop_code=self.shop_code,
                        holder=self.holder,
                        acquired_at=now,
                        heartbeat_at=now,
                    )
                )
            except IntegrityError:
                raise ShopLocked(
                    f"another sync of shop {self.shop_code} started at the same moment"
                ) from None
        self._last_beat = now

    def beat(self, *, every: float = 5.0) -> None:
        """Refresh the heartbeat (at most once per ``every`` seconds); raises if lost."""
        now = self.clock()
        if now - self._last_beat < every:
            return
        with self.store.engine.begin() as conn:
            result = conn.execute(
                update(locks)
                .where(locks.c.shop_code == self.shop_code, locks.c.holder == self.holder)
                .values(heartbeat_at=now)
            )
        if result.rowcount != 1:
            raise ShopLocked(f"the lock on shop {self.shop_code} was taken over; stopping")
        self._last_beat = now

    def release(self) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(
                delete(locks).where(
                    locks.c.shop_code == self.shop_code, locks.c.holder == self.holder
                )
            )

    def __enter__(self) -> ShopLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
