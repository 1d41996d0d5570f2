"""A lock holder in its own process, writing batches as a sync does (for tests/test_lock.py).

``python lock_holder.py URL EXPIRY STOP_AFTER WHERE``: takes shop DEMO's lock with a lease of
EXPIRY seconds, then writes one meta row ``batch-N`` per batch transaction, fenced by
``ShopLock.check``; after STOP_AFTER batches it stops itself (SIGSTOP) ``between`` two batches
or ``inside`` the next batch's transaction, after its write. Prints ``locked``, ``wrote N`` and
how it ended: ``LockLost``, ``failed <error>`` or ``done``.
"""

from __future__ import annotations

import os
import signal
import sys

from sqlalchemy import insert

from shopsync.lock import LockLost, ShopLock
from shopsync.store import meta, open_store

BATCHES = 6


def main(url: str, expiry: float, stop_after: int, where: str) -> int:
    store = open_store(url)
    lock = ShopLock(store, "DEMO", expiry=expiry)
    lock.acquire()
    print("locked", flush=True)
    try:
        for number in range(1, BATCHES + 1):
            if number == stop_after + 1 and where == "between":
                os.kill(os.getpid(), signal.SIGSTOP)
            with store.transaction() as conn:
                lock.check(conn)
                conn.execute(insert(meta).values(key=f"batch-{number}", value=lock.holder))
                if number == stop_after + 1 and where == "inside":
                    os.kill(os.getpid(), signal.SIGSTOP)
            print(f"wrote {number}", flush=True)
    except LockLost as exc:
        print(f"LockLost {exc}", flush=True)
        return 3
    except Exception as exc:  # e.g. the server ended the stalled transaction
        print(f"failed {type(exc).__name__}", flush=True)
        return 4
    finally:
        lock.release()
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
